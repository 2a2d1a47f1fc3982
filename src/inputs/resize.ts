// --max-edge / --max-bytes: each image turned upright (EXIF orientation), downscaled and re-encoded
// with sharp, an optional dependency loaded only when one of those options is given. What to do is
// decided in resize-plan.ts; this file runs sharp and builds the new Image: in memory, re-hashed and
// re-measured, so the estimate and the request see what is sent. Images are done a few at a time,
// each a new Image value (the originals are not changed).
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { InputError, KvError, UsageError } from '../errors.js';
import { formatBytes, plural } from '../format.js';
import { isBadInput, type Input } from './bad-input.js';
import type { Image } from './image.js';
import { mapBounded } from '../concurrency.js';
import { fsPath, hasRawBytes } from './file-name.js';
import { readError, readMemoryOnce, toImage } from './read.js';
import { fsPromises } from '../lazy.js';
import { nextEncoding, planResize, type Encoding, type Reason, type ResizeOptions } from './resize-plan.js';

type SharpFn = (input?: string | Uint8Array, options?: SharpOptions) => Sharp;

/** What resizing tells the user (a Terminal fits). */
interface ResizeReport {
  note(line: string): void;
  warn(line: string): void;
}

export interface Resizer {
  /** The images as they will be sent: those that need it re-encoded (new values), the others and videos as they were. */
  resize(images: readonly Image[], report: ResizeReport): Promise<Image[]>;
  /** The same for a per-image run: an image that cannot be resized becomes a bad input in its place. */
  resizeEach(inputs: readonly Input[], report: ResizeReport): Promise<Input[]>;
}

/** Images decoded at once: libvips already spreads one image over the cores. */
const RESIZE_PARALLEL = 2;

/** The resizer for these options, or undefined when none is given (then sharp is never loaded). */
export async function openResizer(o: ResizeOptions, env: Record<string, string | undefined>): Promise<Resizer | undefined> {
  if (o.maxEdge === undefined && o.maxBytes === undefined) return undefined;
  const sharp = await loadSharp(o, env);
  return {
    // Not per image: the first failure throws, so every result is an Image.
    resize: async (images, report) => (await resizeAll(images, o, sharp, report, false)) as Image[],
    // Resized as one batch (one summary line); each failure stays with its input.
    resizeEach: async (inputs, report) => {
      const good = inputs.filter((x): x is Image => !isBadInput(x));
      const done = await resizeAll(good, o, sharp, report, true);
      let next = 0;
      return inputs.map((x) => (isBadInput(x) ? x : (done[next++] as Input)));
    },
  };
}

/**
 * sharp, or a usage error saying how to get it. KIMI_VISION_NO_SHARP=1 makes it behave as if sharp
 * were not installed (for tests, and to check what users without it see).
 */
export async function loadSharp(o: ResizeOptions, env: Record<string, string | undefined>): Promise<SharpFn> {
  let reason: string;
  if (env.KIMI_VISION_NO_SHARP === '1') {
    reason = 'KIMI_VISION_NO_SHARP=1 is set';
  } else {
    try {
      // Bundled or not, a CommonJS package imported lazily arrives as its `default` export.
      const m = (await import('sharp')) as unknown as { default?: SharpFn & { cache(on: boolean): void } };
      const sharp = m.default ?? (m as unknown as SharpFn & { cache(on: boolean): void });
      sharp.cache(false); // one pass over each image: libvips' operation cache would only hold memory
      return sharp;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      reason = e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' ? 'it is not installed' : (String(e.message).split('\n')[0] ?? '').trim();
    }
  }
  const flags = [o.maxEdge !== undefined ? '--max-edge' : '', o.maxBytes !== undefined ? '--max-bytes' : ''].filter(Boolean).join(' and ');
  throw new UsageError(
    `${flags} need${flags.includes(' and ') ? '' : 's'} sharp, an optional dependency of kimi-vision that cannot be loaded (${reason}); nothing was sent.`,
    'Install it where kimi-vision is installed: `npm install -g sharp` if you installed kimi-vision with -g, else `npm install sharp` in the project that has kimi-vision in node_modules. Or leave out --max-edge and --max-bytes.',
  );
}

async function resizeAll(images: readonly Image[], o: ResizeOptions, sharp: SharpFn, report: ResizeReport, each: boolean): Promise<Input[]> {
  const total = { count: 0, before: 0, after: 0 }; // sums only: no original is kept once its copy exists
  const out = await mapBounded(images, RESIZE_PARALLEL, async (img): Promise<Input> => {
    let resized: Image;
    try {
      resized = await resizeOne(img, o, sharp, report);
    } catch (err) {
      if (each && err instanceof InputError) return { path: img.path, file: img.source.kind === 'file' ? img.source.file : undefined, error: err };
      throw err;
    }
    if (resized !== img) {
      total.count += 1;
      total.before += img.bytes;
      total.after += resized.bytes;
    }
    return resized;
  });
  const [only] = out;
  if (out.length === 1 && only && !isBadInput(only) && only.original) {
    report.note(`${only.path}: ${summary(only.original)} → ${summary(only)}`);
  } else if (total.count > 0) {
    report.note(`re-encoded ${total.count} of ${plural(images.length, 'image')}: ${formatBytes(total.before)} → ${formatBytes(total.after)}`);
  }
  return out;
}

const summary = (img: Pick<Image, 'dimensions' | 'mime' | 'bytes'>): string =>
  `${img.dimensions ? `${img.dimensions.width}x${img.dimensions.height} ` : ''}${label(img.mime)}, ${formatBytes(img.bytes)}`;

const label = (mime: string): string => (mime === 'image/jpeg' ? 'JPEG' : mime.replace(/^image\//, '').toUpperCase());

async function resizeOne(img: Image, o: ResizeOptions, sharp: SharpFn, report: ResizeReport): Promise<Image> {
  if (img.kind !== 'image') return img;
  const input = await sharpInput(img);
  const open = () => sharp(input, { failOn: 'error' });
  const meta = await open()
    .metadata()
    .catch((err: unknown) => err as Error);
  const known = meta instanceof Error ? undefined : meta;
  const size = img.dimensions ?? (known ? shown(known) : undefined);
  if (!size) throw cannotDecode(img, meta instanceof Error ? meta : new Error('no width or height'), ['format']);
  const plan = planResize({ mime: img.mime, ...size, bytes: img.bytes, orientation: known?.orientation }, o);
  if (plan.action === 'keep') return img;
  try {
    if (!known) throw meta; // sharp cannot even read its header
    return await encodeWithin(img, plan.first, o, open, size, known.isPalette === true);
  } catch (err) {
    if (err instanceof KvError) throw err;
    if (!plan.optional) throw cannotDecode(img, err as Error, plan.why);
    report.warn(`${img.path}: sent as it is (${label(img.mime)}), not converted: ${whyNot(img, err as Error)}.`);
    return img;
  }
}

/** Width and height as displayed: EXIF orientations 5-8 are quarter turns. */
function shown(meta: Metadata): { width: number; height: number } | undefined {
  if (!meta.width || !meta.height) return undefined;
  const turned = (meta.orientation ?? 1) >= 5;
  return turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
}

/** Encodes as planned, then steps down (resize-plan.ts) until --max-bytes is met. */
async function encodeWithin(img: Image, first: Encoding, o: ResizeOptions, open: () => Sharp, size: { width: number; height: number }, palette: boolean): Promise<Image> {
  for (let enc = first; ; ) {
    const data = await encode(open(), enc, size, palette);
    if (o.maxBytes === undefined || data.length <= o.maxBytes) return resized(img, data, size);
    const next = nextEncoding(enc, data.length, o.maxBytes);
    if (!next) {
      throw new InputError(
        `${img.path}: cannot be made as small as --max-bytes ${formatBytes(o.maxBytes)} (still ${formatBytes(data.length)} at ${enc.width}x${enc.height}, ${label(`image/${enc.format}`)} quality ${enc.quality}).`,
        'Raise --max-bytes.',
      );
    }
    enc = next;
  }
}

async function encode(p: Sharp, enc: Encoding, size: { width: number; height: number }, palette: boolean): Promise<Buffer> {
  p = p.rotate(); // EXIF orientation; the output carries no metadata
  if (enc.width !== size.width || enc.height !== size.height) p = p.resize(enc.width, enc.height, { fit: 'fill' });
  if (enc.format === 'png') return p.png({ compressionLevel: 9, palette }).toBuffer();
  if (enc.format === 'webp') return p.webp({ quality: enc.quality }).toBuffer();
  return p.flatten({ background: '#ffffff' }).jpeg({ quality: enc.quality, mozjpeg: true }).toBuffer();
}

/** The re-encoded image as a value of its own, remembering what it was made from. */
function resized(img: Image, data: Buffer, size: { width: number; height: number }): Image {
  const out = toImage(img.path, { kind: 'memory', data }, readMemoryOnce(data));
  const file = img.source.kind === 'file' ? { file: img.source.file } : {};
  return { ...out, original: { mime: img.mime, bytes: img.bytes, sha256: img.sha256, dimensions: img.dimensions ?? size, ...file } };
}

const WHAT: Record<Reason, string> = { edge: 'resized', bytes: 'made smaller', orientation: 'turned upright', format: 'converted' };

function cannotDecode(img: Image, err: Error, why: Reason[]): InputError {
  const what = why.map((r) => WHAT[r]).join(' and ');
  const heic = isHevc(img, err);
  const asIs = img.mime === 'image/tiff' || img.mime === 'image/avif' ? '' : ', or leave out --max-edge and --max-bytes to send it as it is';
  return new InputError(
    `${img.path}: cannot be ${what}: ${whyNot(img, err)}.`,
    heic ? `Convert it to JPEG first (macOS: sips -s format jpeg IN --out OUT.jpg; Linux: heif-convert IN OUT.jpg)${asIs}.` : `Convert it to PNG or JPEG first${asIs}.`,
  );
}

const isHevc = (img: Image, err: Error): boolean => (img.mime === 'image/heic' || img.mime === 'image/heif') && /not been built in|unsupported codec|hevc/i.test(err.message);

/** Why sharp could not decode an image, in words. */
function whyNot(img: Image, err: Error): string {
  if (isHevc(img, err)) return 'this sharp cannot decode HEIC compressed with HEVC (its prebuilt libvips has no HEVC decoder)';
  if (/unsupported image format/i.test(err.message)) return `sharp does not read ${label(img.mime)} files`;
  // libvips prints one line per failed read attempt; the last one says what went wrong.
  const line = err.message
    .split('\n')
    .filter((l) => l.trim() && !/bad seek to/.test(l))
    .at(-1)
    ?.trim();
  return `sharp cannot decode it (${line ?? 'unknown error'})`;
}

/** What sharp opens: the file by name, or its bytes when the name is not UTF-8 (sharp would lose them). */
async function sharpInput(img: Image): Promise<string | Uint8Array> {
  if (img.source.kind === 'memory') return img.source.data;
  if (!hasRawBytes(img.source.file)) return img.source.file;
  return fsPromises()
    .readFile(fsPath(img.source.file))
    .catch((err: unknown) => {
      throw readError(err, img.path, true);
    });
}
