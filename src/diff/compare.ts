// Two decoded images compared pixel by pixel in one pass, keeping nothing but counts. Pure.
//
// The canvas is the larger width by the larger height, both images anchored at the top left (a
// screenshot that grew, grew to the right or downwards). A canvas pixel is changed when it lies in
// both images and differs in any channel (R, G, B, A) by more than the tolerance, or when it lies in
// only one of them; a pixel in neither is not changed. Two fully transparent pixels are equal
// whatever colour they carry: encoders may drop it (lossless WebP does unless told not to).

/** Four bytes a pixel, R G B A, rows top to bottom, no padding. */
export interface Rgba {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The smallest rectangle holding every changed pixel, in canvas pixels from the top left. */
export interface Bbox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PixelDiff {
  /** Changed pixels of the canvas. */
  changed: number;
  /** Pixels of the canvas: max width x max height. */
  total: number;
  bbox: Bbox | null;
}

/** Compares a and b; tolerance is the largest per-channel difference that still counts as equal. */
export function compareRgba(a: Rgba, b: Rgba, tolerance = 0): PixelDiff {
  checkShape(a, 'first');
  checkShape(b, 'second');
  const width = Math.max(a.width, b.width);
  const height = Math.max(a.height, b.height);
  const sameRow = tolerance <= 0 ? wordRow(a, b) : channelRow(a, b, tolerance);
  let changed = 0;
  let minX = width;
  let maxX = -1;
  let minY = -1;
  let maxY = -1;
  const mark = (y: number, from: number, to: number, count: number) => {
    changed += count;
    if (from < minX) minX = from;
    if (to > maxX) maxX = to;
    if (minY < 0) minY = y;
    maxY = y;
  };
  for (let y = 0; y < height; y++) {
    const inA = y < a.height;
    const inB = y < b.height;
    if (inA && inB) {
      const overlap = Math.min(a.width, b.width);
      const row = sameRow(y, overlap);
      const wider = Math.max(a.width, b.width);
      if (overlap < wider) {
        // Columns only the wider image has: all changed.
        mark(y, row ? row.first : overlap, wider - 1, (row ? row.count : 0) + wider - overlap);
      } else if (row) {
        mark(y, row.first, row.last, row.count);
      }
    } else if (inA || inB) {
      const w = inA ? a.width : b.width;
      if (w > 0) mark(y, 0, w - 1, w);
    }
  }
  const bbox = changed === 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
  return { changed, total: width * height, bbox };
}

/** The changed share in percent, rounded to 4 decimals, never rounded down to 0 when something changed. */
export function changedPercent(d: Pick<PixelDiff, 'changed' | 'total'>): number {
  if (d.changed === 0 || d.total === 0) return 0;
  return Math.max(Math.round((d.changed / d.total) * 1e6) / 1e4, 0.0001);
}

/** True when the changed share is at most `threshold` percent (compared exactly, not rounded). */
export function withinThreshold(d: Pick<PixelDiff, 'changed' | 'total'>, threshold: number): boolean {
  return d.changed * 100 <= threshold * d.total;
}

type RowDiff = { first: number; last: number; count: number } | undefined;
type RowCompare = (y: number, width: number) => RowDiff;

/** Tolerance 0: whole pixels compared as 32-bit words where the buffers allow it. */
function wordRow(a: Rgba, b: Rgba): RowCompare {
  const aligned = a.data.byteOffset % 4 === 0 && b.data.byteOffset % 4 === 0;
  if (!aligned) return channelRow(a, b, 0);
  const wa = new Uint32Array(a.data.buffer, a.data.byteOffset, a.width * a.height);
  const wb = new Uint32Array(b.data.buffer, b.data.byteOffset, b.width * b.height);
  return (y, width) => {
    const ra = y * a.width;
    const rb = y * b.width;
    let first = -1;
    let last = -1;
    let count = 0;
    for (let x = 0; x < width; x++) {
      if (wa[ra + x] === wb[rb + x]) continue;
      if (a.data[(ra + x) * 4 + 3] === 0 && b.data[(rb + x) * 4 + 3] === 0) continue;
      if (first < 0) first = x;
      last = x;
      count++;
    }
    return count === 0 ? undefined : { first, last, count };
  };
}

function channelRow(a: Rgba, b: Rgba, tolerance: number): RowCompare {
  const da = a.data;
  const db = b.data;
  return (y, width) => {
    let first = -1;
    let last = -1;
    let count = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * a.width + x) * 4;
      const j = (y * b.width + x) * 4;
      if (da[i + 3] === 0 && db[j + 3] === 0) continue;
      const r = (da[i] as number) - (db[j] as number);
      const g = (da[i + 1] as number) - (db[j + 1] as number);
      const bl = (da[i + 2] as number) - (db[j + 2] as number);
      const al = (da[i + 3] as number) - (db[j + 3] as number);
      if (r <= tolerance && r >= -tolerance && g <= tolerance && g >= -tolerance && bl <= tolerance && bl >= -tolerance && al <= tolerance && al >= -tolerance) continue;
      if (first < 0) first = x;
      last = x;
      count++;
    }
    return count === 0 ? undefined : { first, last, count };
  };
}

function checkShape(img: Rgba, which: string): void {
  if (img.data.length !== img.width * img.height * 4) {
    throw new Error(`compareRgba: the ${which} image has ${img.data.length} bytes, not ${img.width}x${img.height}x4`);
  }
}
