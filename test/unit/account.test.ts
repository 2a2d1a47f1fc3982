// The pure parts of models, balance and --exact: reading the API's bodies, merging with the table.
import { describe, expect, it } from 'vitest';
import { readBalance } from '../../src/account/balance.js';
import { modelRows, unavailableModels } from '../../src/account/models.js';
import { readListedModels } from '../../src/api/models-list.js';
import { readTokenCount } from '../../src/client/exact.js';
import { formatTable } from '../../src/output/table.js';

const extended = {
  object: 'list',
  data: [
    { id: 'kimi-k2.6', object: 'model', context_length: 262144, supports_image_in: true, supports_video_in: true, supports_reasoning: true, supports_thinking_type: 'both' },
    {
      id: 'kimi-k3.1-pro',
      object: 'model',
      context_length: 1048576,
      supports_image_in: true,
      supports_video_in: false,
      supports_thinking_type: 'only',
      think_efforts: { support: true, valid_efforts: ['low', 'max'] },
    },
    { id: 'moonshot-v1-8k', object: 'model', context_length: 8192, supports_image_in: false, supports_video_in: false, supports_reasoning: false },
    { id: 'kimi-new', object: 'model' },
    { object: 'model' },
  ],
};

describe('readListedModels', () => {
  it('reads the extended fields where present and skips items without an id', () => {
    expect(readListedModels(extended)).toEqual([
      { id: 'kimi-k2.6', context: 262144, images: true, video: true, reasoning: true, thinkingType: 'both' },
      { id: 'kimi-k3.1-pro', context: 1048576, images: true, video: false, thinkingType: 'only', efforts: ['low', 'max'] },
      { id: 'moonshot-v1-8k', context: 8192, images: false, video: false, reasoning: false },
      { id: 'kimi-new' },
    ]);
  });

  it.each([[null], [{}], [{ data: 'x' }], ['text']])('is undefined for a body that is not a list: %o', (body) => {
    expect(readListedModels(body)).toBeUndefined();
  });
});

describe('modelRows', () => {
  const o = { currency: 'CNY' as const, defaultModel: 'kimi-k2.6', all: false };

  it('prefers the API fields, uses the table otherwise, and marks the default', () => {
    const rows = modelRows(readListedModels(extended), o);
    expect(rows.map((r) => r.id)).toEqual(['kimi-k2.6', 'kimi-k3.1-pro', 'moonshot-v1-8k', 'kimi-new']);
    expect(rows[0]).toEqual({
      id: 'kimi-k2.6',
      default: true,
      listed: true,
      in_table: true,
      images: true,
      video: true,
      context: 262144,
      thinking: 'optional',
      efforts: null,
      price: { currency: 'CNY', input: 6.5, cached_input: null, output: 27, derived: false },
      retired: null,
      status: 'available',
    });
    expect(rows[1]).toMatchObject({ default: false, thinking: 'effort', efforts: ['low', 'max'], price: { derived: true, input: 13.6 } });
    expect(rows[2]).toMatchObject({ images: false, thinking: 'none', in_table: false, price: null });
    expect(rows[3]).toMatchObject({ images: null, video: null, context: null, thinking: null, price: null, status: 'available' });
  });

  it('falls back to the table when the items carry only ids (minimal fields)', () => {
    const rows = modelRows(readListedModels({ data: [{ id: 'kimi-k3' }, { id: 'kimi-k2.5' }] }), { ...o, currency: 'USD' });
    expect(rows[0]).toMatchObject({
      images: true,
      video: true,
      context: 1048576,
      thinking: 'effort',
      efforts: ['low', 'high', 'max'],
      price: { input: 3, output: 15, derived: false },
    });
    expect(rows[1]).toMatchObject({ listed: true, status: 'retired', retired: '2026-08' });
  });

  it('with all, adds the table models the key lacks; offline, lists the table alone', () => {
    const listed = readListedModels({ data: [{ id: 'kimi-k2.6' }] })!;
    const all = modelRows(listed, { ...o, all: true });
    expect(all.find((r) => r.id === 'kimi-k3')).toMatchObject({ listed: false, status: 'not_available' });
    expect(all.find((r) => r.id === 'moonshot-v1-8k-vision-preview')).toMatchObject({ listed: false, status: 'retired' });
    expect(unavailableModels(listed)).toEqual(['kimi-k2.7-code', 'kimi-k2.7-code-highspeed', 'kimi-k3', 'kimi-k3.1-pro', 'kimi-k3.1-pro-highspeed']);
    const offline = modelRows(undefined, o);
    expect(offline).toHaveLength(10);
    expect(offline[0]).toMatchObject({ id: 'kimi-k2.6', listed: null, status: null });
    expect(offline.filter((r) => r.status === 'retired').map((r) => r.id)).toContain('kimi-k2.5');
  });
});

describe('readBalance and readTokenCount', () => {
  it('reads the balance data object', () => {
    expect(readBalance({ code: 0, data: { available_balance: 49.58, voucher_balance: 46.58, cash_balance: 3.0 }, status: true })).toEqual({
      available_balance: 49.58,
      voucher_balance: 46.58,
      cash_balance: 3,
    });
    expect(readBalance({ data: { available_balance: '-1.5' } })).toEqual({ available_balance: -1.5, voucher_balance: 0, cash_balance: 0 });
    expect(readBalance({ code: 1, status: false })).toBeUndefined();
    expect(readBalance({ data: { voucher_balance: 1 } })).toBeUndefined();
  });

  it.each([
    [{ data: { total_tokens: 651 } }, 651],
    [{ data: { total_tokens: 0 } }, 0],
    [{ data: { total_tokens: 1.5 } }, undefined],
    [{ data: {} }, undefined],
    [null, undefined],
  ])('%o -> %s tokens', (body, n) => {
    expect(readTokenCount(body)).toBe(n);
  });
});

describe('formatTable', () => {
  it('pads columns by code points, right-aligns the given ones, trims line ends', () => {
    expect(
      formatTable(
        [
          ['a', '1', 'x'],
          ['bbb', '≈22', ''],
        ],
        [1],
      ),
    ).toBe('a      1  x\nbbb  ≈22\n');
  });
});
