// What --max-edge and --max-bytes do to one image, decided from its facts alone (pure; sharp does
// the pixels in resize.ts). Never upscales; keeps the aspect ratio; re-encodes only when it must.
//
// Output format: PNG, GIF, BMP and TIFF become PNG; WebP stays WebP; JPEG, HEIC/HEIF and AVIF become
// JPEG. When --max-bytes is not met, a PNG is tried once more as JPEG; a JPEG (or WebP) then steps
// down through QUALITIES, and below the last one the image is made smaller (by the square root of
// the overshoot, at least 10 % a step) until it fits or its longest edge would drop under MIN_EDGE.

export interface ResizeOptions {
  /** Longest edge in pixels, after EXIF orientation. */
  maxEdge?: number;
  /** Bytes of the encoded image (not of its base64). */
  maxBytes?: number;
}

type OutputFormat = 'png' | 'jpeg' | 'webp';

export interface Encoding {
  format: OutputFormat;
  /** For JPEG and WebP. */
  quality?: number;
  width: number;
  height: number;
}

export interface ImageFacts {
  mime: string;
  /** As displayed (EXIF orientation applied). */
  width: number;
  height: number;
  bytes: number;
  /** EXIF orientation, 1 (or absent) when upright. */
  orientation?: number;
}

export type Reason = 'edge' | 'bytes' | 'orientation' | 'format';

export type ResizePlan =
  | { action: 'keep' }
  | {
      action: 'encode';
      first: Encoding;
      why: Reason[];
      /** Only a format the API reportedly takes would be converted: if sharp cannot decode it, send it as it is. */
      optional: boolean;
    };

/** The formats Moonshot documents; anything else is converted when resize options are given. */
const DOCUMENTED = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
/** Formats the API reportedly takes (sent as they are without resize options). */
const REPORTED = new Set(['image/bmp', 'image/heic', 'image/heif']);

/** JPEG and WebP qualities, in the order they are tried against --max-bytes. */
export const QUALITIES = [85, 75, 65, 55, 45] as const;
/** The smallest longest edge the --max-bytes search goes down to. */
export const MIN_EDGE = 32;

function outputFormat(mime: string): OutputFormat {
  if (mime === 'image/webp') return 'webp';
  if (mime === 'image/jpeg' || mime === 'image/heic' || mime === 'image/heif' || mime === 'image/avif') return 'jpeg';
  return 'png';
}

/** The size that fits the longest edge within maxEdge, keeping the aspect ratio; never larger. */
export function fitWithin(width: number, height: number, maxEdge: number | undefined): { width: number; height: number } {
  const longest = Math.max(width, height);
  if (maxEdge === undefined || longest <= maxEdge) return { width, height };
  const scale = maxEdge / longest;
  return {
    width: width >= height ? maxEdge : Math.max(1, Math.round(width * scale)),
    height: height > width ? maxEdge : Math.max(1, Math.round(height * scale)),
  };
}

export function planResize(f: ImageFacts, o: ResizeOptions): ResizePlan {
  const size = fitWithin(f.width, f.height, o.maxEdge);
  const why: Reason[] = [];
  if (size.width !== f.width || size.height !== f.height) why.push('edge');
  if (o.maxBytes !== undefined && f.bytes > o.maxBytes) why.push('bytes');
  if ((f.orientation ?? 1) > 1) why.push('orientation');
  if (!DOCUMENTED.has(f.mime)) why.push('format');
  if (why.length === 0) return { action: 'keep' };
  const format = outputFormat(f.mime);
  return {
    action: 'encode',
    first: { format, ...(format === 'png' ? {} : { quality: QUALITIES[0] }), ...size },
    why,
    optional: REPORTED.has(f.mime) && why.every((r) => r === 'format'),
  };
}

/** What to try after `prev` came out at `got` bytes, over `budget`; undefined when nothing is left. */
export function nextEncoding(prev: Encoding, got: number, budget: number): Encoding | undefined {
  if (prev.format === 'png') return { ...prev, format: 'jpeg', quality: QUALITIES[0] };
  const lower = QUALITIES.find((q) => q < (prev.quality ?? QUALITIES[0]));
  if (lower !== undefined) return { ...prev, quality: lower };
  // A lossy image's bytes go roughly with its pixel count.
  const factor = Math.min(0.9, Math.sqrt(budget / got) * 0.95);
  const width = Math.max(1, Math.floor(prev.width * factor));
  const height = Math.max(1, Math.floor(prev.height * factor));
  if (Math.max(width, height) < MIN_EDGE) return undefined;
  return { ...prev, width, height };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };

/** "200000", "500k", "500KB", "1.5m", "2MiB" -> bytes (k = 1,024, m = 1,048,576); undefined if not a size of at least 1 byte. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes >= 1 && Number.isSafeInteger(bytes) ? bytes : undefined;
}
