import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { estimateMessages, imageTokens, textTokens, usageCost } from '../../src/estimate/estimate.js';
import type { Image } from '../../src/inputs/image.js';
import { describeMessages } from '../../src/request/messages.js';
import { MODELS, priceFor } from '../../src/models.js';

const K2 = { kind: 'patches', patchLimit: 16384 } as const;
const K3 = { kind: 'patches', patchLimit: 65536 } as const;

const img = (width: number, height: number): Image => ({
  path: `${width}x${height}.png`,
  mime: 'image/png',
  kind: 'image',
  bytes: 100,
  sha256: 'x',
  dimensions: { width, height },
  source: { kind: 'memory', data: new Uint8Array() },
});

describe('image tokens', () => {
  it.each([
    [512, 512, 361, 361],
    [1024, 1024, 1369, 1369],
    [1920, 1080, 2691, 2691],
    [3840, 2160, 4214, 10764],
  ])('%ix%i -> K2.6 %i, K3 %i (the examples in kimi-api.md)', (w, h, k2, k3) => {
    expect(imageTokens(K2, { width: w, height: h })).toBe(k2);
    expect(imageTokens(K3, { width: w, height: h })).toBe(k3);
  });

  it('charges the seed models 1,024 per image whatever the size, and unknown sizes 1,024', () => {
    expect(imageTokens({ kind: 'fixed', tokens: 1024 }, { width: 10, height: 10 })).toBe(1024);
    expect(imageTokens({ kind: 'fixed', tokens: 1024 }, { width: 8000, height: 8000 })).toBe(1024);
    expect(imageTokens(K2, undefined)).toBe(1024);
  });

  it('caps a very long side at 7168 px', () => {
    expect(imageTokens(K3, { width: 20000, height: 28 })).toBe(Math.ceil(7168 / 28) * 1);
  });

  it('grows with size while no downscaling applies, and stays near the cap once it does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 1, max: 9000 }), (w, h, dw) => {
        const small = imageTokens(K2, { width: w, height: h });
        const big = imageTokens(K2, { width: w + dw, height: h });
        if (Math.floor((w + dw) / 14) * Math.floor(h / 14) <= 16384 && w + dw <= 7168) expect(big).toBeGreaterThanOrEqual(small);
        // Scaled to at most 16,384 patches = 4,096 tokens, plus at most one partial row and column.
        expect(big).toBeLessThanOrEqual(4096 + 2 * 256 + 1);
      }),
    );
  });
});

describe('text tokens', () => {
  it.each([
    ['', 0],
    ['abcd', 1],
    ['Describe the image.', 5],
    ['你好', 2],
    ['hi 你好', 3],
  ])('%j -> %i', (text, n) => {
    expect(textTokens(text)).toBe(n);
  });
});

describe('estimateMessages', () => {
  it('adds image and text tokens and prices them as input in the platform currency', () => {
    const messages = describeMessages([img(512, 512), img(1024, 1024)], 'Describe the images.');
    const e = estimateMessages('kimi-k2.6', messages, 'CNY');
    expect(e.image_tokens).toBe(361 + 1369);
    expect(e.text_tokens).toBe(8 + 5);
    expect(e.input_tokens).toBe(361 + 1369 + 13);
    expect(e.cost).toEqual({ amount: Math.round(((1743 * 6.5) / 1e6) * 1e6) / 1e6, currency: 'CNY' });
    expect(estimateMessages('moonshot-v1-8k-vision-preview', messages, 'CNY').image_tokens).toBe(2048);
    expect(estimateMessages('some-new-model', messages, 'USD').image_tokens).toBe(2048);
  });

  it('is monotone: more images or more text never lowers the estimate', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 6 }), fc.string(), fc.string(), (sizes, a, b) => {
        const images = sizes.map(([w, h]) => img(w, h));
        const base = estimateMessages('kimi-k2.6', describeMessages(images, a), 'USD').input_tokens;
        const moreImages = estimateMessages('kimi-k2.6', describeMessages([...images, img(64, 64)], a), 'USD').input_tokens;
        const moreText = estimateMessages('kimi-k2.6', describeMessages(images, a + b), 'USD').input_tokens;
        expect(moreImages).toBeGreaterThan(base);
        expect(moreText).toBeGreaterThanOrEqual(base);
      }),
    );
  });
});

describe('costs and the model table', () => {
  it('prices actual usage with cached input at the cached price', () => {
    const c = usageCost('kimi-k2.6', { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, cached_tokens: 500_000 }, 'USD');
    expect(c).toEqual({ amount: 0.5 * 0.95 + 0.5 * 0.16 + 4.0, currency: 'USD' });
  });

  it('has a price in both currencies for every live model (derived ones marked) and unique ids', () => {
    const ids = MODELS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of MODELS) {
      expect(priceFor(m, 'CNY')).toBeDefined();
      expect(priceFor(m, 'USD')).toBeDefined();
    }
    expect(
      priceFor(
        MODELS.find((m) => m.id === 'kimi-k3.1-pro'),
        'CNY',
      )?.derived,
    ).toBe(true);
    expect(
      priceFor(
        MODELS.find((m) => m.id === 'kimi-k3'),
        'CNY',
      ),
    ).toEqual({ input: 20, output: 100 });
  });
});
