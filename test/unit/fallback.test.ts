// The one fallback decision of describe, --each and --exact: which model to use when the key cannot
// use the default one.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.js';
import { mayFallBack, pickFallback, withFallback } from '../../src/client/fallback.js';

const listed = (...ids: string[]) => ids.map((id) => ({ id }));

describe('pickFallback', () => {
  it.each([
    [listed('kimi-k3', 'kimi-k3.1-pro'), 'kimi-k2.6', 'kimi-k3.1-pro'],
    [listed('kimi-k3'), 'kimi-k2.6', 'kimi-k3'],
    [listed('kimi-k2.6', 'kimi-k3'), 'kimi-k2.6', 'kimi-k3'],
    [listed('kimi-k2.7-code'), 'kimi-k2.6', 'kimi-k2.7-code'],
    [listed('moonshot-v1-8k-vision-preview'), 'kimi-k2.6', undefined],
    [[{ id: 'vendor-vision', images: true }], 'kimi-k2.6', 'vendor-vision'],
    [[{ id: 'vendor-text', images: false }], 'kimi-k2.6', undefined],
    [[], 'kimi-k2.6', undefined],
  ])('%j after %s failed: %s', (models, failed, expected) => {
    expect(pickFallback(models, failed)).toBe(expected);
  });
});

describe('withFallback', () => {
  const notFound = new ApiError({ status: 404, type: 'resource_not_found_error', message: 'Not found the model kimi-k2.6 or Permission denied' });
  const client = { getJson: async () => ({ data: [{ id: 'kimi-k3' }] }) };

  it('runs again with the listed model after a 404 for a default model, saying so first', async () => {
    const tried: string[] = [];
    const said: string[] = [];
    const r = await withFallback('kimi-k2.6', { modelChosen: false, client: () => client, onSwitch: (a, b) => void said.push(`${a}->${b}`) }, async (m) => {
      tried.push(m);
      if (m === 'kimi-k2.6') throw notFound;
      return `answer by ${m}`;
    });
    expect(r).toBe('answer by kimi-k3');
    expect(tried).toEqual(['kimi-k2.6', 'kimi-k3']);
    expect(said).toEqual(['kimi-k2.6->kimi-k3']);
  });

  it('never swaps a model the user chose, nor falls back on other errors', async () => {
    await expect(withFallback('kimi-k2.6', { modelChosen: true, client: () => client, onSwitch: () => {} }, async () => Promise.reject(notFound))).rejects.toBe(notFound);
    const other = new ApiError({ status: 400, type: 'invalid_request_error', message: 'bad' });
    await expect(withFallback('kimi-k2.6', { modelChosen: false, client: () => client, onSwitch: () => {} }, async () => Promise.reject(other))).rejects.toBe(other);
    expect(mayFallBack(notFound, false)).toBe(true);
    expect(mayFallBack(notFound, true)).toBe(false);
  });
});
