// Reads one input once: byte count, sha256, and what its leading bytes say (type, size).
import { nodeCrypto } from '../lazy.js';
import { fileChunks, fileChunksSync, NOT_REGULAR, type OnOpened } from './chunks.js';
import { DIMENSION_BYTES, imageDimensions, type Dimensions } from './dimensions.js';
import { SNIFF_BYTES, sniffMime, type MediaKind, type Sniff } from './sniff.js';
import type { Image, ImageSource } from './image.js';
import { InputError } from '../errors.js';

export interface ReadResult {
  bytes: number;
  sha256: string;
  /** The first bytes (at most SNIFF_BYTES), a copy. */
  head: Uint8Array;
  /** What the file's first DIMENSION_BYTES say it is, and its size when it is an image. */
  sniff: Sniff;
  dimensions: Dimensions | undefined;
  /** A file's modification time as it was opened for this read. */
  mtimeMs?: number;
}

/** As large as the prefix that sniffing and sizing read, so a file's first chunk IS that prefix. */
const READ_BUFFER = DIMENSION_BYTES;

/**
 * What a file's first chunk says, read while the chunk is still in the reused buffer: its type and
 * size, and a short copy of its first bytes. A copy of the whole chunk per file (up to 256 KiB, its
 * own memory outside V8's heap, freed only at the next collection) made memory grow with the number
 * of files: 72 x 1 MB in one request peaked 18 MB above 6 x 12 MB, and a dry run over 20,000 small
 * files had ~20 MB of dead copies waiting for a scavenge.
 */
function facts(chunk: Uint8Array): Pick<ReadResult, 'head' | 'sniff' | 'dimensions'> {
  const sniff = sniffMime(chunk);
  const mime = sniff.ok ? (sniff.kind === 'image' ? sniff.mime : undefined) : sniff.convertible;
  const head = Buffer.allocUnsafe(Math.min(chunk.length, SNIFF_BYTES)); // small: from Node's shared pool
  head.set(chunk.subarray(0, head.length));
  return { head, sniff, dimensions: mime ? imageDimensions(chunk, mime) : undefined };
}

/** Read buffers are reused across files: thousands of small images must not churn 256 KiB each. */
const spare: Buffer[] = [];

/**
 * Streams a file through sha256 (one reused buffer), noting what its first DIMENSION_BYTES say.
 * `size` is what stat said: a file that fits in the buffer is read synchronously (a few tens of
 * microseconds, where each asynchronous step is a round trip through libuv's thread pool: for a
 * handful of screenshots those round trips were most of a dry run's time).
 */
export async function readFileOnce(file: string, shownAs: string, size?: number, o: { deferHash?: boolean; later?: boolean } = {}): Promise<ReadResult> {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
  const small = size !== undefined && size < buffer.length;
  // Deferred: only the head is read now (a small file is all head); ensureHashed() hashes later if
  // something needs the sha256 (describe: while the model thinks). A text dry run never loads node:crypto.
  const hashing = !(o.deferHash && size !== undefined);
  // A file that comes in one chunk (most) is hashed in one call: a Hash object per file holds native
  // memory that is freed only when a collection finds the object dead (~2 KB per small file, piling
  // up by the thousand between collections in a dry run over a big folder).
  let hash: ReturnType<typeof import('node:crypto').createHash> | undefined;
  let whole: string | undefined;
  let first: Pick<ReadResult, 'head' | 'sniff' | 'dimensions'> | undefined;
  let bytes = 0;
  const take = (chunk: Buffer) => {
    if (hashing) {
      if (bytes === 0 && chunk.length < buffer.length) whole = nodeCrypto().hash('sha256', chunk, 'hex');
      else (hash ??= nodeCrypto().createHash('sha256')).update(chunk);
    }
    if (bytes === 0) first = facts(chunk);
    bytes += chunk.length;
  };
  let mtimeMs: number | undefined;
  const opened: OnOpened = (st) => {
    mtimeMs = st.mtimeMs;
  };
  try {
    if (small) for (const chunk of fileChunksSync(file, buffer, opened)) take(chunk);
    else {
      for await (const chunk of fileChunks(file, buffer, opened)) {
        take(chunk);
        if (!hashing) break;
      }
    }
  } catch (err) {
    throw readError(err, shownAs, o.later === true);
  } finally {
    if (spare.length < 8) spare.push(buffer);
  }
  const seen = { ...(first ?? facts(new Uint8Array(0))), mtimeMs };
  if (hashing) return { bytes, sha256: hash ? hash.digest('hex') : (whole ?? nodeCrypto().hash('sha256', '', 'hex')), ...seen };
  return { bytes: small ? bytes : (size as number), sha256: '', ...seen };
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

/**
 * A sha256 taken along as the file is read for sending (request/body.ts).
 * - The image's hash was deferred and nothing hashes it yet: each file is read once, and the hash is
 *   of exactly the bytes that were sent, so a file removed or rewritten after the send does not fail
 *   the run that was answered. `done` keeps it for ensureHashed once the whole file was read
 *   unchanged; a read that stops early keeps nothing.
 * - The image was hashed when the run was planned (--each, diff and alt hash first, for their cache
 *   keys): `done` refuses bytes that are not the ones hashed. A file rewritten at the same size in
 *   between would otherwise go out under the old sha256, and its answer be cached, recorded and
 *   shown as the old bytes' answer.
 * The reader hands over every byte it sends, in order, and stops at the image's size.
 */
export function hashAlong(img: Image): { update(chunk: Uint8Array): void; done(): void } | undefined {
  if (img.source.kind !== 'file') return undefined;
  const planned = img.sha256;
  if (planned !== '') {
    return sha256Along(img.bytes, (sent) => {
      if (sent !== planned)
        throw new InputError(`${img.path}: changed while being sent (the same size, but not the bytes read when the run was planned).`, 'Run again once the file is stable.');
    });
  }
  if (hashing.has(img)) return undefined;
  return sha256Along(img.bytes, (sent) => {
    if (!hashing.has(img)) hashing.set(img, Promise.resolve(sent));
  });
}

/** sha256 of chunks, `done` passing on its hex. A file that comes in one chunk (most) is hashed in one
 *  call: a Hash object per file holds native memory until a collection finds it dead. */
function sha256Along(bytes: number, done: (hex: string) => void): { update(chunk: Uint8Array): void; done(): void } {
  let hash: ReturnType<typeof import('node:crypto').createHash> | undefined;
  let whole: string | undefined;
  return {
    update: (chunk) => {
      // A first chunk of the whole size is the last one: the reader stops at the image's size.
      if (hash === undefined && whole === undefined && chunk.length === bytes) whole = nodeCrypto().hash('sha256', chunk, 'hex');
      else (hash ??= nodeCrypto().createHash('sha256')).update(chunk);
    },
    done: () => done(whole ?? (hash ?? nodeCrypto().createHash('sha256')).digest('hex')),
  };
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
    ...facts(data.subarray(0, DIMENSION_BYTES)),
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
  const usable = accepted(read.sniff, convert);
  if (!usable) throw refusal(path, read.sniff);
  return {
    path,
    mime: usable.mime,
    kind: usable.kind,
    bytes: read.bytes,
    sha256: read.sha256,
    // (read.dimensions are those of this mime: the sniffed one, or the one a conversion takes)
    dimensions: usable.kind === 'image' ? read.dimensions : undefined,
    source,
    ...(source.kind === 'file' && read.mtimeMs !== undefined ? { mtimeMs: read.mtimeMs } : {}),
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
      return new FileReadError(
        code,
        later ? `${shownAs}: was removed${since}.` : `${shownAs}: no such file.`,
        later ? stable : 'Check the path; quote globs so the tool expands them.',
      );
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
