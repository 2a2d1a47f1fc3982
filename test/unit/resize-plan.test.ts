// --max-edge / --max-bytes decisions: sizes, when to re-encode, the --max-bytes ladder, and sizes as typed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitWithin, MIN_EDGE, nextEncoding, parseByteSize, planResize, QUALITIES, type Encoding, type ImageFacts } from '../../src/inputs/resize-plan.js';

describe('parseByteSize', () => {
  it.each<[string, number | undefined]>([
    ['200000', 200_000],
    ['500k', 512_000],
    ['500K', 512_000],
    ['500kb', 512_000],
    ['500 KiB', 512_000],
    ['2m', 2_097_152],
    ['2MB', 2_097_152],
    ['1.5m', 1_572_864],
    ['0.5k', 512],
    ['.5k', 512],
    [' 2m ', 2_097_152],
    ['1b', 1],
    ['', undefined],
    ['0', undefined],
    ['0.1', undefined],
    ['-1', undefined],
    ['5x', undefined],
    ['1g', undefined],
    ['1e3', undefined],
    ['k', undefined],
    ['1.2.3k', undefined],
  ])('%j -> %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });
});

describe('fitWithin', () => {
  it.each<[number, number, number | undefined, number, number]>([
    [3840, 2160, 1920, 1920, 1080],
    [2160, 3840, 1920, 1080, 1920],
    [1921, 1081, 1920, 1920, 1080],
    [1000, 1000, 500, 500, 500],
    [1, 5000, 100, 1, 100],
    [800, 600, 1000, 800, 600], // never upscaled
    [800, 600, 800, 800, 600],
    [800, 600, undefined, 800, 600],
  ])('%ix%i within %s -> %ix%i', (w, h, edge, ew, eh) => {
    expect(fitWithin(w, h, edge)).toEqual({ width: ew, height: eh });
  });

  it('any size: the longest edge is min(its own, max edge), the other keeps the ratio to within a pixel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 1, max: 10_000 }), (w, h, edge) => {
        const out = fitWithin(w, h, edge);
        expect(Math.max(out.width, out.height)).toBe(Math.min(Math.max(w, h), edge));
        expect(out.width).toBeLessThanOrEqual(w);
        expect(out.height).toBeLessThanOrEqual(h);
        expect(Math.min(out.width, out.height)).toBeGreaterThanOrEqual(1);
        const scale = Math.max(out.width, out.height) / Math.max(w, h);
        expect(Math.abs(Math.min(out.width, out.height) - Math.min(w, h) * scale)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('planResize', () => {
  const facts = (f: Partial<ImageFacts>): ImageFacts => ({ mime: 'image/png', width: 800, height: 600, bytes: 100_000, ...f });

  it('keeps an image that already fits, in a documented format and upright: no re-encoding', () => {
    expect(planResize(facts({}), { maxEdge: 800, maxBytes: 100_000 })).toEqual({ action: 'keep' });
    expect(planResize(facts({ mime: 'image/gif' }), { maxBytes: 1 << 20 })).toEqual({ action: 'keep' });
    expect(planResize(facts({ orientation: 1 }), { maxEdge: 4000 })).toEqual({ action: 'keep' });
  });

  it.each<[string, Partial<ImageFacts>, { maxEdge?: number; maxBytes?: number }, Encoding, string[], boolean]>([
    ['4K PNG over the edge', { width: 3840, height: 2160 }, { maxEdge: 1920 }, { format: 'png', width: 1920, height: 1080 }, ['edge'], false],
    ['PNG over the byte budget stays PNG first', { bytes: 200_001 }, { maxBytes: 200_000 }, { format: 'png', width: 800, height: 600 }, ['bytes'], false],
    ['JPEG with EXIF orientation 6', { mime: 'image/jpeg', orientation: 6 }, { maxEdge: 4000 }, { format: 'jpeg', quality: 85, width: 800, height: 600 }, ['orientation'], false],
    ['WebP stays WebP', { mime: 'image/webp', width: 4000, height: 3000 }, { maxEdge: 1000 }, { format: 'webp', quality: 85, width: 1000, height: 750 }, ['edge'], false],
    ['GIF becomes PNG', { mime: 'image/gif', width: 400, height: 100 }, { maxEdge: 200 }, { format: 'png', width: 200, height: 50 }, ['edge'], false],
    ['TIFF is converted to PNG even when it fits', { mime: 'image/tiff' }, { maxEdge: 4000 }, { format: 'png', width: 800, height: 600 }, ['format'], false],
    ['AVIF is converted to JPEG', { mime: 'image/avif' }, { maxEdge: 4000 }, { format: 'jpeg', quality: 85, width: 800, height: 600 }, ['format'], false],
    ['HEIC that fits: converting is optional', { mime: 'image/heic' }, { maxEdge: 4000 }, { format: 'jpeg', quality: 85, width: 800, height: 600 }, ['format'], true],
    ['BMP that fits: converting is optional', { mime: 'image/bmp' }, { maxBytes: 1 << 20 }, { format: 'png', width: 800, height: 600 }, ['format'], true],
    [
      'HEIC over the edge: resizing is not',
      { mime: 'image/heic', width: 4032, height: 3024 },
      { maxEdge: 2016 },
      { format: 'jpeg', quality: 85, width: 2016, height: 1512 },
      ['edge', 'format'],
      false,
    ],
  ])('%s', (_name, f, o, first, why, optional) => {
    expect(planResize(facts(f), o)).toEqual({ action: 'encode', first, why, optional });
  });
});

describe('nextEncoding (the --max-bytes ladder)', () => {
  it('PNG -> JPEG, then JPEG qualities in order, then fewer pixels', () => {
    const png: Encoding = { format: 'png', width: 1920, height: 1080 };
    const steps: Encoding[] = [];
    let enc: Encoding | undefined = png;
    for (let i = 0; i < QUALITIES.length + 1 && enc; i++) steps.push((enc = nextEncoding(enc, 400_000, 100_000)!));
    expect(steps.map((e) => [e.format, e.quality])).toEqual([...QUALITIES.map((q) => ['jpeg', q]), ['jpeg', 45]]);
    // Past the last quality: 4x over the budget -> sqrt(1/4) * 0.95 of each edge.
    expect(steps.at(-1)).toMatchObject({ width: Math.floor(1920 * 0.475), height: Math.floor(1080 * 0.475) });
  });

  it('shrinks at least 10 % a step even when just over the budget, and gives up under the minimum edge', () => {
    expect(nextEncoding({ format: 'jpeg', quality: 45, width: 1000, height: 500 }, 101, 100)).toEqual({ format: 'jpeg', quality: 45, width: 900, height: 450 });
    expect(nextEncoding({ format: 'webp', quality: 45, width: 35, height: 20 }, 101, 100)).toBeUndefined();
    expect(nextEncoding({ format: 'jpeg', quality: 45, width: MIN_EDGE, height: MIN_EDGE }, 10_000, 100)).toBeUndefined();
  });

  it('always ends: any start, any overshoot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 1.0001, max: 1000, noNaN: true }),
        (w, h, budget, over) => {
          let enc: Encoding | undefined = { format: 'png', width: w, height: h };
          let steps = 0;
          while (enc && steps < 200) {
            const before: Encoding = enc;
            enc = nextEncoding(before, Math.ceil(budget * over), budget);
            if (enc && enc.quality === before.quality && enc.format === before.format) expect(enc.width * enc.height).toBeLessThan(before.width * before.height);
            steps++;
          }
          expect(enc).toBeUndefined();
        },
      ),
    );
  });
});
