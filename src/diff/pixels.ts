// The local facts of one pair, before any request: byte identity (sha256), then, with sharp, the
// decoded pixels (EXIF orientation applied) compared in one pass (compare.ts): the changed share,
// its bounding box and the sizes. Without sharp (an optional dependency), byte identity only.
//
// Memory: two decoded 4K screenshots are ~66 MB, so a comparer decodes one pair at a time (calls
// queue behind each other, whatever the caller's concurrency) and keeps nothing once it returns.
import type { Image } from '../inputs/image.js';
import { ensureHashed } from '../inputs/read.js';
import { loadSharp } from '../inputs/resize.js';
import { changedPercent, compareRgba, withinThreshold, type Bbox, type Rgba } from './compare.js';

export interface Size {
  width: number;
  height: number;
}

export interface LocalFacts {
  /** same: identical bytes, identical pixels, or changed by at most --threshold percent. */
  status: 'same' | 'changed';
  /** What decided it: the bytes (identical, or sharp missing or unable to decode) or the decoded pixels. */
  compared: 'bytes' | 'pixels';
  /** As displayed; from the decoded image, else from the file's header (undefined when unreadable). */
  before: Size | undefined;
  after: Size | undefined;
  /**
   * Percent of the canvas (the larger width x the larger height, both images at the top left)
   * whose pixels differ: 0 for identical bytes, null when the pixels were not compared.
   */
  pixelsChanged: number | null;
  bbox: Bbox | null;
  /** One line for stderr when the pixels could not be compared although sharp is there. */
  note?: string;
}

export interface PixelOptions {
  /** A pair whose changed share is at most this percent is `same` (default 0: any change counts). */
  threshold?: number;
  /** The largest per-channel difference (0-255) that still counts as equal (default 0). */
  tolerance?: number;
}

/** Decodes an image to RGBA, upright. */
export type Decoder = (img: Image) => Promise<Rgba>;

export interface PixelComparer {
  compare(before: Image, after: Image): Promise<LocalFacts>;
  /** Why only bytes are compared, and how to get more: set when sharp cannot be loaded. */
  note: string | undefined;
}

/** The comparer for this environment: with sharp when it loads (not when KIMI_VISION_NO_SHARP=1). */
export async function openComparer(o: PixelOptions, env: Record<string, string | undefined>): Promise<PixelComparer> {
  const decode = await loadSharp({}, env).then(sharpDecoder, () => undefined);
  if (decode) return comparerWith(decode, o);
  const why = env.KIMI_VISION_NO_SHARP === '1' ? 'KIMI_VISION_NO_SHARP=1 is set' : 'sharp cannot be loaded';
  const threshold = (o.threshold ?? 0) > 0 ? '; --threshold has no effect' : '';
  return {
    compare: (b, a) => comparePair(b, a, o, undefined),
    note: `pairs are compared by their bytes only (${why})${threshold}: \`npm install sharp\` adds the changed share, its box and size changes.`,
  };
}

/** A comparer decoding with `decode`, one pair at a time however many calls are in flight. */
export function comparerWith(decode: Decoder, o: PixelOptions): PixelComparer {
  return { compare: queued((b: Image, a: Image) => comparePair(b, a, o, decode)), note: undefined };
}

/** The facts of one pair; `decode` undefined compares bytes only. */
export async function comparePair(before: Image, after: Image, o: PixelOptions, decode: Decoder | undefined): Promise<LocalFacts> {
  const [hb, ha] = await Promise.all([ensureHashed(before), ensureHashed(after)]);
  const header = { before: before.dimensions, after: after.dimensions };
  if (hb === ha && before.bytes === after.bytes) return { status: 'same', compared: 'bytes', ...header, pixelsChanged: 0, bbox: null };
  const bytesOnly = (note?: string): LocalFacts => ({ status: 'changed', compared: 'bytes', ...header, pixelsChanged: null, bbox: null, ...(note ? { note } : {}) });
  if (!decode) return bytesOnly();
  let a: Rgba;
  let b: Rgba;
  try {
    a = await decode(before);
    b = await decode(after);
  } catch (err) {
    const which = (err as { image?: Image }).image?.path ?? `${before.path} or ${after.path}`;
    return bytesOnly(`${which}: sharp cannot decode it (${reasonOf(err)}); compared by bytes only.`);
  }
  const d = compareRgba(a, b, o.tolerance ?? 0);
  return {
    status: withinThreshold(d, o.threshold ?? 0) ? 'same' : 'changed',
    compared: 'pixels',
    before: { width: a.width, height: a.height },
    after: { width: b.width, height: b.height },
    pixelsChanged: changedPercent(d),
    bbox: d.bbox,
  };
}

type SharpFn = Awaited<ReturnType<typeof loadSharp>>;

/** sharp's decoder: first frame of an animation, EXIF orientation applied, 8-bit sRGB with alpha. */
export function sharpDecoder(sharp: SharpFn): Decoder {
  return async (img) => {
    const input = img.source.kind === 'file' ? img.source.file : img.source.data;
    try {
      const { data, info } = await sharp(input, { failOn: 'error' }).rotate().toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (err) {
      throw Object.assign(err as Error, { image: img });
    }
  };
}

/** Runs calls one after another: a second pair waits until the first one's pixels are gone. */
function queued<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const run = tail.then(() => fn(...args));
    tail = run.catch(() => undefined);
    return run;
  };
}

/** libvips may say several lines; the last one that says something is the reason. */
function reasonOf(err: unknown): string {
  const lines = String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? 'unknown error';
}
