// Reads one input once: byte count, sha256 and the leading bytes that sniffing and sizing need.
import { nodeCrypto } from '../lazy.js';
import { fileChunks, fileChunksSync, NOT_REGULAR } from './chunks.js';
import { DIMENSION_BYTES, imageDimensions } from './dimensions.js';
import { sniffMime, type MediaKind, type Sniff } from './sniff.js';
import type { Image, ImageSource } from './image.js';
import { InputError } from '../errors.js';

export interface ReadResult {
  bytes: number;
  sha256: string;
  head: Uint8Array;
}

/** As large as the head that sniffing and sizing read, so a file's first chunk IS its head. */
const READ_BUFFER = DIMENSION_BYTES;

/** Read buffers are reused across files: thousands of small images must not churn 256 KiB each. */
const spare: Buffer[] = [];

/**
 * Streams a file through sha256 (one reused buffer), keeping a copy of its first DIMENSION_BYTES.
 * `size` is what stat said: a file that fits in the buffer is read synchronously (a few tens of
 * microseconds, where each asynchronous step is a round trip through libuv's thread pool: for a
 * handful of screenshots those round trips were most of a dry run's time).
 */
export async function readFileOnce(file: string, shownAs: string, size?: number, o: { deferHash?: boolean; later?: boolean } = {}): Promise<ReadResult> {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
  const small = size !== undefined && size < buffer.length;
  // Deferred: only the head is read now (a small file is all head); ensureHashed() hashes later if
  // something needs the sha256 (describe: while the model thinks). A text dry run never loads node:crypto.
  const hash = o.deferHash && size !== undefined ? undefined : nodeCrypto().createHash('sha256');
  let head: Uint8Array = new Uint8Array(0);
  let bytes = 0;
  const take = (chunk: Buffer) => {
    hash?.update(chunk);
    if (bytes === 0) head = Uint8Array.prototype.slice.call(chunk); // a copy of just the bytes read
    bytes += chunk.length;
  };
  try {
    if (small) for (const chunk of fileChunksSync(file, buffer)) take(chunk);
    else {
      for await (const chunk of fileChunks(file, buffer)) {
        take(chunk);
        if (!hash) break;
      }
    }
  } catch (err) {
    throw readError(err, shownAs, o.later === true);
  } finally {
    if (spare.length < 8) spare.push(buffer);
  }
  if (hash) return { bytes, sha256: hash.digest('hex'), head };
  return { bytes: small ? bytes : (size as number), sha256: '', head };
}

/** Hashes under way, so a describe's hash while the model answers and the save after share one. */
const hashing = new WeakMap<Image, Promise<string>>();

/**
 * The image's sha256, hashing its file now if that was deferred (see Image.sha256); one hash per
 * image however many ask (kept beside the image: the Image value itself is not changed). Refuses a
 * file that changed size since it was first read.
 */
export function ensureHashed(img: Image): Promise<string> {
  if (img.sha256 !== '' || img.source.kind !== 'file') return Promise.resolve(img.sha256);
  let hash = hashing.get(img);
  if (!hash) {
    hash = hashFile(img, img.source.file);
    hashing.set(img, hash);
  }
  return hash;
}

async function hashFile(img: Image, file: string): Promise<string> {
  const read = await readFileOnce(file, img.path, undefined, { later: true });
  if (read.bytes !== img.bytes) {
    throw new InputError(`${img.path}: changed since it was read (${img.bytes} bytes then, ${read.bytes} now).`, 'Run again once the file is stable.');
  }
  return read.sha256;
}

export function readMemoryOnce(data: Uint8Array): ReadResult {
  return {
    bytes: data.length,
    sha256: nodeCrypto().createHash('sha256').update(data).digest('hex'),
    head: data.subarray(0, DIMENSION_BYTES),
  };
}

/** What an input is, when it can be taken: supported as it is, or `convert`ible (resize.ts re-encodes it). */
export function accepted(sniff: Sniff, convert: boolean): { mime: string; kind: MediaKind } | undefined {
  if (sniff.ok) return sniff;
  return convert && sniff.convertible ? { mime: sniff.convertible, kind: 'image' } : undefined;
}

/** Builds the Image value, or refuses the input naming what it looks like. With `convert`, takes
 * images the API refuses but resize.ts converts (TIFF, AVIF). */
export function toImage(path: string, source: ImageSource, read: ReadResult, convert = false): Image {
  const sniff = sniffMime(read.head);
  const usable = accepted(sniff, convert);
  if (!usable) throw refusal(path, sniff);
  return {
    path,
    mime: usable.mime,
    kind: usable.kind,
    bytes: read.bytes,
    sha256: read.sha256,
    dimensions: usable.kind === 'image' ? imageDimensions(read.head, usable.mime) : undefined,
    source,
  };
}

function refusal(path: string, sniff: Sniff): InputError {
  const looksLike = sniff.ok ? sniff.mime : sniff.looksLike;
  const converts = !sniff.ok && sniff.convertible ? ' (describe converts it with --max-edge or --max-bytes)' : '';
  return new InputError(
    `${path}: not a supported image or video (it looks like ${withArticle(looksLike)}).`,
    `Supported: PNG, JPEG, WebP, GIF, BMP, HEIC/HEIF images; MP4, MOV, WebM, MPEG, AVI, FLV, WMV, 3GP videos. Convert it first${converts}.`,
  );
}

/** A file that could not be read, with the errno code (so callers can tell a file that is gone). */
export class FileReadError extends InputError {
  readonly code: string;
  constructor(code: string, message: string, hint?: string) {
    super(message, hint);
    this.code = code;
  }
}

/** Codes that mean the file is not there (any more): removed, a parent replaced, a symlink that leads nowhere. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/** A read failure that means the file is gone, not that it is there and unreadable. */
export function isGone(err: unknown): boolean {
  return err instanceof FileReadError && GONE.has(err.code);
}

/**
 * A failed read as the input error it is, naming the input. `later`: the file was read fine when
 * the run was planned, and failed when it was read again (to send it, to hash it): it changed since.
 */
export function readError(err: unknown, shownAs: string, later = false): FileReadError {
  if (err instanceof FileReadError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const code = errno ?? 'EUNKNOWN';
  const since = later ? ' since the run started' : '';
  const stable = 'Run again once the files are stable.';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileReadError(code, later ? `${shownAs}: was removed${since}.` : `${shownAs}: no such file.`, later ? stable : 'Check the path; quote globs so the tool expands them.');
    case 'ELOOP':
      return new FileReadError(code, `${shownAs}: a symbolic link loop.`);
    case 'EACCES':
    case 'EPERM':
      return new FileReadError(code, `${shownAs}: permission denied${later ? ` (it became unreadable${since})` : ''}.`, 'Make the file readable (chmod +r) or pick another.');
    case 'EISDIR':
      return new FileReadError(code, `${shownAs}: is a directory${later ? ` now` : ''}.`, later ? stable : undefined);
    case NOT_REGULAR:
      return new FileReadError(code, `${shownAs}: not a regular file${later ? ' any more' : ''} (a FIFO, socket or device).`, 'Save it to a file first, or pipe it in with -.');
    default:
      return new FileReadError(code, `${shownAs}: cannot be read (${errno ?? (err as Error)?.message ?? 'unknown error'}).`);
  }
}

/** "SVG image" -> "an SVG image", "empty file" -> "an empty file"; "text …" and "… data" take none. */
function withArticle(what: string): string {
  if (/^(a|an|the) |^text|\bdata\b/i.test(what)) return what;
  return /^[aeiou]|^(SVG|MP|HEI|ICO|AVIF|ELF|MKV|RAR|XZ)/i.test(what) ? `an ${what}` : `a ${what}`;
}
