// diff's cache key: both images' hashes (in order), the instruction, the model and the request
// parameters; and the --each keys the extra images field must leave exactly as they were.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemCacheKey, planItem, type DiffJob, type SendItem } from '../../src/diff/job.js';
import { resolvePairs } from '../../src/diff/pairs.js';
import type { LocalFacts } from '../../src/diff/pixels.js';
import { ensureHashed } from '../../src/inputs/read.js';
import type { Image } from '../../src/inputs/image.js';
import { cacheKey } from '../../src/store/answer-cache.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const facts: LocalFacts = { status: 'changed', compared: 'pixels', before: undefined, after: undefined, pixelsChanged: 3.6833, bbox: { x: 148, y: 92, width: 43, height: 21 } };

describe('cacheKey without several images (--each)', () => {
  it('is the sha256 of the same canonical JSON as before diff existed', () => {
    const parts = {
      sha256: 'ab'.repeat(32),
      model: 'kimi-k2.6',
      system: undefined,
      prompt: 'Describe the image.',
      params: { model: 'kimi-k2.6', thinking: { type: 'disabled' }, stream: true, stream_options: { include_usage: true } },
    };
    const canonical = `{"image":"${'ab'.repeat(32)}","model":"kimi-k2.6","params":{"model":"kimi-k2.6","thinking":{"type":"disabled"}},"prefill":null,"prompt":"Describe the image.","system":null,"v":1}`;
    expect(cacheKey(parts)).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(cacheKey({ ...parts, images: undefined })).toBe(cacheKey(parts));
  });
});

async function colorItem(): Promise<SendItem> {
  const { entries } = await resolvePairs(['fixtures/diff/color/before.png', 'fixtures/diff/color/after.png'], ROOT);
  const e = entries[0];
  if (e?.status !== 'pair') throw new Error('not a pair');
  const hashed = async (img: Image) => ({ ...img, sha256: await ensureHashed(img) });
  return { kind: 'send', entry: e, facts, images: [await hashed(e.before), await hashed(e.after)] };
}

const job = (o: Partial<DiffJob['o']> = {}, ask: DiffJob['ask'] = {}) => ({ o: { stream: true, ...o }, ask, settings: { currency: 'CNY' } }) as unknown as DiffJob;
const keyOf = (j: DiffJob, item: SendItem, model = 'kimi-k2.6') => itemCacheKey(j, item, planItem(j, item, model));

describe('itemCacheKey', () => {
  it('is stable, and changes with each thing that changes the answer', async () => {
    const item = await colorItem();
    const base = keyOf(job(), item);
    expect(keyOf(job(), item)).toBe(base);
    const [before, after] = item.images as [Image, Image];
    const variants = [
      keyOf(job(), { ...item, images: [after, before] }), // the order of before and after
      keyOf(job(), { ...item, images: [before, { ...after, sha256: 'cd'.repeat(32) }] }), // the after image
      keyOf(job({}, { expect: 'a blue button' }), item),
      keyOf(job({}, { prompt: 'Ignore the clock.' }), item),
      keyOf(job({}, { system: 'You review UI.' }), item),
      keyOf(job(), item, 'kimi-k3'),
      keyOf(job({ maxTokens: 500 }), item),
      keyOf(job(), { ...item, facts: { ...facts, pixelsChanged: 4 } }), // other local facts, another instruction
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(keyOf(job({ stream: false }), item)).toBe(base); // streaming does not change the answer
  });
});
