// File names that are not valid UTF-8. Node decodes such a name to U+FFFD, which names no file, so a
// name listed from disk is kept as a string with each byte that is not part of a UTF-8 character
// stored as a lone surrogate U+DC80..U+DCFF (as Python's "surrogateescape" does): it survives JSON,
// path.join and sorting, turns back into the exact bytes for the file system (fsPath), and shows as
// `\xE9` (showName). Pure.
import { isUtf8 } from 'node:buffer';

/** A lone surrogate (only ever one of ours: a name read from disk). The `u` flag leaves pairs alone. */
const LONE = /\p{Cs}/u;
const LONE_ALL = /\p{Cs}/gu;

/** Whether Node's own string-to-path conversion would lose bytes of this name. */
export function hasRawBytes(name: string): boolean {
  return LONE.test(name);
}

/** A name's bytes as the file system wants them: the string itself when it is plain UTF-8. */
export function fsPath(name: string): string | Buffer {
  return hasRawBytes(name) ? nameBytes(name) : name;
}

/** The exact bytes of a name decoded by decodeName. */
export function nameBytes(name: string): Buffer {
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.of(cp - 0xdc00));
    } else run += ch;
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** A name read from disk as bytes: UTF-8 where it is, each other byte as U+DC80 + byte. */
export function decodeName(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  let out = '';
  let start = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = utf8Length(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('utf8');
    out += String.fromCharCode(0xdc00 + (bytes[i] as number));
    start = ++i;
  }
  return out + Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('utf8');
}

/** The name for people: each raw byte as `\xE9`, the rest unchanged (the terminal layer still neutralises controls). */
export function showName(name: string): string {
  return name.replace(LONE_ALL, (s) => `\\x${(s.charCodeAt(0) - 0xdc00).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** One path segment percent-encoded byte for byte (a Markdown link to a file whose name is not UTF-8). */
export function percentEncodeName(segment: string): string {
  if (!hasRawBytes(segment)) return encodeURIComponent(segment);
  return [...nameBytes(segment)]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** The length of the well-formed UTF-8 character at `i` (RFC 3629: no overlongs, no surrogates), or 0. */
function utf8Length(b: Uint8Array, i: number): number {
  const b0 = b[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && (b[i + k] as number) >= lo && (b[i + k] as number) <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A flat copy of a name. path.join and path.resolve return a tree of pieces in V8 (257 bytes for a
 * 40-character path, against 64 flat), and a run over a big folder keeps every name until its end.
 * (JSON keeps lone surrogates: `\udc80` is written and read back as itself.)
 */
export const flat = (s: string): string => JSON.parse(JSON.stringify(s)) as string;
