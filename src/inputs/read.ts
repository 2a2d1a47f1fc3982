// Reads one input once: byte count, sha256 and the leading bytes that sniffing and sizing need.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DIMENSION_BYTES, imageDimensions } from './dimensions.js';
import { sniffMime } from './sniff.js';
import type { Image, ImageSource } from './image.js';
import { InputError } from '../errors.js';

export interface ReadResult {
  bytes: number;
  sha256: string;
  head: Uint8Array;
}

/** Streams a file through sha256, keeping only its first DIMENSION_BYTES. */
export async function readFileOnce(file: string, shownAs: string): Promise<ReadResult> {
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headLen = 0;
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (headLen < DIMENSION_BYTES) {
        const part = chunk.subarray(0, DIMENSION_BYTES - headLen);
        headParts.push(Buffer.from(part));
        headLen += part.length;
      }
    }
  } catch (err) {
    throw readError(err, shownAs);
  }
  return { bytes, sha256: hash.digest('hex'), head: Buffer.concat(headParts) };
}

export function readMemoryOnce(data: Uint8Array): ReadResult {
  return {
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    head: data.subarray(0, DIMENSION_BYTES),
  };
}

/** Builds the Image value, or refuses the input naming what it looks like. */
export function toImage(path: string, source: ImageSource, read: ReadResult): Image {
  const sniff = sniffMime(read.head);
  if (!sniff.ok) {
    throw new InputError(
      `${path}: not a supported image or video (it looks like ${withArticle(sniff.looksLike)}).`,
      'Supported: PNG, JPEG, WebP, GIF, BMP, HEIC/HEIF images; MP4, MOV, WebM, MPEG, AVI, FLV, WMV, 3GP videos. Convert it first.',
    );
  }
  return {
    path,
    mime: sniff.mime,
    kind: sniff.kind,
    bytes: read.bytes,
    sha256: read.sha256,
    dimensions: sniff.kind === 'image' ? imageDimensions(read.head, sniff.mime) : undefined,
    source,
  };
}

export function readError(err: unknown, shownAs: string): InputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new InputError(`${shownAs}: no such file.`, 'Check the path; quote globs so the tool expands them.');
    case 'EACCES':
    case 'EPERM':
      return new InputError(`${shownAs}: permission denied.`, 'Make the file readable (chmod +r) or pick another.');
    case 'EISDIR':
      return new InputError(`${shownAs}: is a directory.`);
    default:
      return new InputError(`${shownAs}: cannot be read (${code ?? (err as Error)?.message ?? 'unknown error'}).`);
  }
}

/** "SVG image" -> "an SVG image", "empty file" -> "an empty file"; "text …" and "… data" take none. */
function withArticle(what: string): string {
  if (/^(a|an|the) |^text|\bdata\b/i.test(what)) return what;
  return /^[aeiou]|^(SVG|MP|HEI|ICO|AVIF|ELF|MKV|RAR|XZ)/i.test(what) ? `an ${what}` : `a ${what}`;
}
