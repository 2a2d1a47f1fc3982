// diff's local facts: the pure pixel comparison (tables of tiny images), then the fixture pairs
// through sharp (same bytes, same pixels, a moved block, a colour change, a taller page, EXIF
// orientation, --threshold), the byte-only fallback without sharp, and one pair decoded at a time.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { changedPercent, compareRgba, withinThreshold, type Rgba } from '../../src/diff/compare.js';
import { resolvePairs } from '../../src/diff/pairs.js';
import { comparePair, comparerWith, openComparer, sharpDecoder, type Decoder } from '../../src/diff/pixels.js';
import type { Image } from '../../src/inputs/image.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const DIFF = path.join(ROOT, 'fixtures', 'diff');

/** A tiny image from rows of characters: '.' white, 'x' black, 'r' red, ' ' transparent (its colour varies). */
function art(rows: string[], offset = 0): Rgba {
  const width = rows[0]?.length ?? 0;
  const colours: Record<string, number[]> = { '.': [255, 255, 255, 255], x: [0, 0, 0, 255], r: [255, 0, 0, 255] };
  const bytes = new Uint8Array(offset + width * rows.length * 4);
  const data = bytes.subarray(offset);
  rows.forEach((row, y) => [...row].forEach((c, x) => data.set(colours[c] ?? [x * 40, y * 40, 7, 0], (y * width + x) * 4)));
  return { data, width, height: rows.length };
}

describe('compareRgba', () => {
  it.each([
    ['identical', ['..', '.x'], ['..', '.x'], 0, 4, null],
    ['one pixel', ['..', '..'], ['..', '.x'], 1, 4, { x: 1, y: 1, width: 1, height: 1 }],
    ['two far apart: the box spans both', ['x...', '....', '....'], ['....', '....', '...r'], 2, 12, { x: 0, y: 0, width: 4, height: 3 }],
    ['a moved block: old and new places', ['xx..', '....'], ['..xx', '....'], 4, 8, { x: 0, y: 0, width: 4, height: 1 }],
    ['transparent pixels of different colours are equal', ['  ', '..'], ['  ', '..'], 0, 4, null],
    ['transparent to opaque is a change', ['  '], ['. '], 1, 2, { x: 0, y: 0, width: 1, height: 1 }],
    ['taller: the new rows changed', ['..'], ['..', '..'], 2, 4, { x: 0, y: 1, width: 2, height: 1 }],
    ['wider: the new columns changed', ['..', '..'], ['...', '...'], 2, 6, { x: 2, y: 0, width: 1, height: 2 }],
    ['wider and a change inside', ['x.', '..'], ['...', '...'], 3, 6, { x: 0, y: 0, width: 3, height: 2 }],
    ['shorter: the rows only before has changed', ['..', '..', '..'], ['..'], 4, 6, { x: 0, y: 1, width: 2, height: 2 }],
    ['wider one way, taller the other: the corner in neither is not changed', ['...'], ['.', '.'], 3, 6, { x: 0, y: 0, width: 3, height: 2 }],
  ])('%s', (_name, before, after, changed, total, bbox) => {
    expect(compareRgba(art(before), art(after))).toEqual({ changed, total, bbox });
    // The byte-by-byte path (buffers not 4-aligned) finds the same.
    expect(compareRgba(art(before, 1), art(after, 3))).toEqual({ changed, total, bbox });
  });

  it('a tolerance lets small per-channel differences through, alpha included', () => {
    const a = art(['..']);
    const b = art(['..']);
    b.data[0] = 252; // R of the first pixel: 3 off
    b.data[7] = 253; // alpha of the second: 2 off
    expect(compareRgba(a, b).changed).toBe(2);
    expect(compareRgba(a, b, 2).changed).toBe(1);
    expect(compareRgba(a, b, 3).changed).toBe(0);
  });

  it('refuses a buffer that does not match its size', () => {
    expect(() => compareRgba({ data: new Uint8Array(15), width: 2, height: 2 }, art(['..', '..']))).toThrow(/16|2x2x4/);
  });
});

describe('changedPercent and withinThreshold', () => {
  it.each([
    [0, 100, 0],
    [1, 100, 1],
    [1200, 24000, 5],
    [4000, 28000, 14.2857],
    [1, 8_294_400, 0.0001], // one pixel of a 4K screen is not rounded away
  ])('%i of %i pixels -> %f %%', (changed, total, percent) => {
    expect(changedPercent({ changed, total })).toBe(percent);
  });

  it.each([
    [0, 100, 0, true],
    [1, 100, 0, false],
    [5, 100, 5, true],
    [6, 100, 5, false],
    [1200, 24000, 4.99, false],
  ])('%i of %i within %f %% -> %s', (changed, total, threshold, within) => {
    expect(withinThreshold({ changed, total }, threshold)).toBe(within);
  });
});

const pair = async (a: string, b: string): Promise<[Image, Image]> => {
  const { entries } = await resolvePairs([path.join(DIFF, a), path.join(DIFF, b)], ROOT);
  const e = entries[0];
  if (e?.status !== 'pair') throw new Error('not a pair');
  return [e.before, e.after];
};
const decode = sharpDecoder(sharp as never);
const facts = async (a: string, b: string, o = {}) => comparePair(...(await pair(a, b)), o, decode);

describe('the fixture pairs, with sharp', () => {
  it('identical bytes are the same without decoding anything', async () => {
    const never: Decoder = () => Promise.reject(new Error('decoded'));
    const f = await comparePair(...(await pair('same-bytes/before.png', 'same-bytes/after.png')), {}, never);
    expect(f).toEqual({ status: 'same', compared: 'bytes', before: { width: 200, height: 120 }, after: { width: 200, height: 120 }, pixelsChanged: 0, bbox: null });
  });

  it.each(['same-pixels/after.webp', 'same-pixels/after.png'])('identical pixels in another encoding (%s) are the same', async (after) => {
    expect(await facts('same-pixels/before.png', after)).toMatchObject({ status: 'same', compared: 'pixels', pixelsChanged: 0, bbox: null });
  });

  it('a moved block: its old and new places, exactly', async () => {
    expect(await facts('moved/before.png', 'moved/after.png')).toEqual({
      status: 'changed',
      compared: 'pixels',
      before: { width: 200, height: 120 },
      after: { width: 200, height: 120 },
      pixelsChanged: 5,
      bbox: { x: 12, y: 70, width: 78, height: 20 },
    });
  });

  it('a button turning blue: the box is the button, the share all of it but its white label', async () => {
    const f = await facts('color/before.png', 'color/after.png');
    expect(f.bbox).toEqual({ x: 148, y: 92, width: 43, height: 21 });
    const button = ((43 * 21) / (200 * 120)) * 100;
    expect(f.pixelsChanged).toBeLessThan(button);
    expect(f.pixelsChanged).toBeGreaterThan(button * 0.9);
  });

  it('a new title: the change stays inside the title bar', async () => {
    const f = await facts('text/before.png', 'text/after.png');
    expect(f.status).toBe('changed');
    expect(f.bbox!.y + f.bbox!.height).toBeLessThanOrEqual(24);
    expect(f.bbox!.x).toBeGreaterThanOrEqual(8);
  });

  it('a taller page: the sizes, and the new strip as the change, of the larger canvas', async () => {
    expect(await facts('resized/before.png', 'resized/after.png')).toEqual({
      status: 'changed',
      compared: 'pixels',
      before: { width: 200, height: 120 },
      after: { width: 200, height: 140 },
      pixelsChanged: 14.2857,
      bbox: { x: 0, y: 120, width: 200, height: 20 },
    });
  });

  it('--threshold: a share at most the threshold is the same (and still reported), above it changed', async () => {
    expect(await facts('moved/before.png', 'moved/after.png', { threshold: 5 })).toMatchObject({ status: 'same', pixelsChanged: 5, bbox: { x: 12 } });
    expect(await facts('moved/before.png', 'moved/after.png', { threshold: 4.99 })).toMatchObject({ status: 'changed', pixelsChanged: 5 });
  });

  it('EXIF orientation is applied: a JPEG shown turned equals its upright PNG', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-diff-exif-'));
    const photo = path.join(ROOT, 'fixtures', 'photo.jpg'); // stored 600x800, Orientation 6
    writeFileSync(path.join(dir, 'upright.png'), await sharp(photo).rotate().png().toBuffer());
    const { entries } = await resolvePairs([photo, path.join(dir, 'upright.png')], ROOT);
    const e = entries[0] as Extract<(typeof entries)[0], { status: 'pair' }>;
    expect(await comparePair(e.before, e.after, {}, decode)).toMatchObject({
      status: 'same',
      compared: 'pixels',
      before: { width: 800, height: 600 },
      after: { width: 800, height: 600 },
    });
  });

  it('an image sharp cannot decode: compared by bytes, with a note naming it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-diff-bad-'));
    writeFileSync(path.join(dir, 'cut.png'), readFileSync(path.join(DIFF, 'moved/after.png')).subarray(0, 600));
    const { entries } = await resolvePairs([path.join(DIFF, 'moved/before.png'), path.join(dir, 'cut.png')], ROOT);
    const e = entries[0] as Extract<(typeof entries)[0], { status: 'pair' }>;
    const f = await comparePair(e.before, e.after, {}, decode);
    expect(f).toMatchObject({ status: 'changed', compared: 'bytes', pixelsChanged: null, bbox: null });
    expect(f.note).toMatch(/cut\.png: sharp cannot decode it \(.+\); compared by bytes only\./);
  });
});

describe('without sharp (KIMI_VISION_NO_SHARP=1)', () => {
  it('byte identity only, and a note that says how to get more', async () => {
    const c = await openComparer({}, { KIMI_VISION_NO_SHARP: '1' });
    expect(c.note).toMatch(/compared by their bytes only \(KIMI_VISION_NO_SHARP=1 is set\).*npm install sharp/);
    expect(await c.compare(...(await pair('same-bytes/before.png', 'same-bytes/after.png')))).toMatchObject({ status: 'same', pixelsChanged: 0 });
    expect(await c.compare(...(await pair('same-pixels/before.png', 'same-pixels/after.webp')))).toMatchObject({
      status: 'changed',
      compared: 'bytes',
      pixelsChanged: null,
      bbox: null,
    });
    // Sizes still come from the headers.
    expect(await c.compare(...(await pair('resized/before.png', 'resized/after.png')))).toMatchObject({
      before: { width: 200, height: 120 },
      after: { width: 200, height: 140 },
      pixelsChanged: null,
    });
  });

  it('says --threshold has no effect then', async () => {
    expect((await openComparer({ threshold: 1 }, { KIMI_VISION_NO_SHARP: '1' })).note).toMatch(/--threshold has no effect/);
    expect((await openComparer({ threshold: 1 }, {})).note).toBeUndefined();
  });
});

describe('memory', () => {
  it('decodes one pair at a time, however many comparisons are asked for at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: Decoder = async (img) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const out = await decode(img);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return out;
    };
    const c = comparerWith(slow, {});
    const pairs = await Promise.all(['moved', 'color', 'text', 'resized'].map((k) => pair(`${k}/before.png`, `${k}/after.png`)));
    const results = await Promise.all(pairs.map(([b, a]) => c.compare(b, a)));
    expect(results.map((r) => r.status)).toEqual(['changed', 'changed', 'changed', 'changed']);
    expect(peak).toBe(1);
  });
});
