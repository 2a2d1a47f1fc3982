// Reads one input once: byte count, sha256 and the leading bytes that sniffing and sizing need.
import { nodeCrypto } from '../lazy.js';
import { fileChunks, fileChunksSync } from './chunks.js';
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

/** What is kept of a head when the image says its size early (most do, in the first few KiB). */
const SHORT_HEAD = 16 * 1024;

/** Formats whose size is read from one header found in order (HEIF takes the largest of all its boxes). */
const SIZED_EARLY = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/webp']);

/**
 * The head to keep, copied out of the reused read buffer: its first SHORT_HEAD bytes when they
 * are enough to sniff the file and read its size, else the whole chunk (a JPEG with a large EXIF
 * block before its frame header, HEIF, videos). A 256 KiB copy per file made the peak RSS of one
 * request grow with its number of files (72 x 1 MB: +18 MB over 6 x 12 MB), each copy alive until
 * a GC.
 */
function keepHead(chunk: Buffer): Uint8Array {
  if (chunk.length > SHORT_HEAD) {
    const short = chunk.subarray(0, SHORT_HEAD);
    const sniff = sniffMime(short);
    if (sniff.ok && SIZED_EARLY.has(sniff.mime) && imageDimensions(short, sniff.mime)) return Uint8Array.prototype.slice.call(short);
  }
  return Uint8Array.prototype.slice.call(chunk); // a copy of just the bytes read
}

/** Read buffers are reused across files: thousands of small images must not churn 256 KiB each. */
const spare: Buffer[] = [];

/**
 * Streams a file through sha256 (one reused buffer), keeping a copy of its first DIMENSION_BYTES.
 * `size` is what stat said: a file that fits in the buffer is read synchronously (a few tens of
 * microseconds, where each asynchronous step is a round trip through libuv's thread pool: for a
 * handful of screenshots those round trips were most of a dry run's time).
 */
export async function readFileOnce(file: string, shownAs: string, size?: number, o: { deferHash?: boolean } = {}): Promise<ReadResult> {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
  const small = size !== undefined && size < buffer.length;
  // Deferred: only the head is read now (a small file is all head); ensureHashed() hashes later if
  // something needs the sha256 (describe: while the model thinks). A text dry run never loads node:crypto.
  const hash = o.deferHash && size !== undefined ? undefined : nodeCrypto().createHash('sha256');
  let head: Uint8Array = new Uint8Array(0);
  let bytes = 0;
  const take = (chunk: Buffer) => {
    hash?.update(chunk);
    if (bytes === 0) head = keepHead(chunk);
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
    throw readError(err, shownAs);
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
  const read = await readFileOnce(file, img.path);
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
