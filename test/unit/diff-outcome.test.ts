// What a diff answer means for its pair (answer, one retry, failure), what the pair cost, and the
// lines stderr shows: the local comparison, the progress and the totals; and the flags of diff.
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/api/completion.js';
import { localLine } from '../../src/diff/dry-run.js';
import type { DiffItem } from '../../src/diff/job.js';
import { diffSettings } from '../../src/diff/options.js';
import { addUsage, judgeAnswer } from '../../src/diff/outcome.js';
import { spentOn } from '../../src/results/totals.js';
import type { PairEntry } from '../../src/diff/pairs.js';
import type { LocalFacts } from '../../src/diff/pixels.js';
import { errorRecord, onlyRecord, sameRecord, answeredRecord } from '../../src/diff/record.js';
import { DiffTotals } from '../../src/diff/totals.js';
import { EXIT, UsageError } from '../../src/errors.js';
import type { Image } from '../../src/inputs/image.js';

const good = '{"changed":true,"summary":"The button is blue.","changes":[{"where":"the Save button","what":"turned blue","kind":"color"}],"as_expected":null}';

describe('judgeAnswer', () => {
  it.each([
    ['a good answer', good, 'stop', false, 'answer'],
    ['a good answer to the retry', good, 'stop', true, 'answer'],
    ['bad JSON, first time', good.slice(0, 30), 'stop', false, 'retry'],
    ['bad JSON after the retry', good.slice(0, 30), 'stop', true, 'fail'],
    ['a wrong kind, first time', good.replace('"color"', '"colour"'), 'stop', false, 'retry'],
    ['the content filter (never retried)', good, 'content_filter', false, 'fail'],
  ])('%s: %s', (_name, text, finishReason, retried, kind) => {
    expect(judgeAnswer({ text, finishReason }, false, retried).kind).toBe(kind);
  });

  it('the retry quotes the problem; a failure after it is exit 5, invalid_json, with a hint that fits', () => {
    const first = judgeAnswer({ text: good.replace('"color"', '"colour"'), finishReason: 'stop' }, false, false);
    expect(first).toEqual({ kind: 'retry', problem: 'changes[0].kind is "colour": it must be one of layout, text, color, content, other' });
    const cut = judgeAnswer({ text: '{"changed":', finishReason: 'length' }, false, true);
    if (cut.kind !== 'fail') throw new Error('expected a failure');
    expect([cut.error.exitCode, cut.error.type]).toEqual([EXIT.rejected, 'invalid_json']);
    expect(cut.error.message).toMatch(/^the answer is still not the JSON asked for after one retry: it is not valid JSON/);
    expect(cut.error.hint).toMatch(/raise --max-tokens/);
  });

  it('with --expect, as_expected null is a problem', () => {
    expect(judgeAnswer({ text: good, finishReason: 'stop' }, true, false)).toMatchObject({ kind: 'retry', problem: expect.stringContaining('"as_expected" is null') });
  });
});

describe('what a pair cost', () => {
  const u = (p: number, c: number, cached?: number): Usage => ({
    prompt_tokens: p,
    completion_tokens: c,
    total_tokens: p + c,
    ...(cached !== undefined ? { cached_tokens: cached } : {}),
  });
  it.each([
    [u(100, 10), u(150, 20), u(250, 30)],
    [u(100, 10, 40), u(150, 20), u(250, 30, 40)],
    [undefined, u(150, 20), u(150, 20)],
    [u(100, 10), undefined, u(100, 10)],
    [undefined, undefined, undefined],
  ])('addUsage(%o, %o) = %o', (a, b, sum) => {
    expect(addUsage(a, b)).toEqual(sum);
  });

  it('spentOn prices the tokens by the model (1000 in + 10 out on kimi-k2.6 in CNY)', () => {
    expect(spentOn({ model: 'kimi-k2.6', usage: u(1000, 10) }, 'kimi-k2.6', 'CNY')).toEqual({ prompt_tokens: 1000, completion_tokens: 10, cost: 0.00677, priced: true });
    expect(spentOn({ model: 'someone-else', usage: u(1000, 10) }, 'someone-else', 'CNY')).toMatchObject({ cost: 0, priced: false });
  });
});

const img = (p: string): Image => ({ path: p, mime: 'image/png', kind: 'image', bytes: 1, sha256: 'a', dimensions: undefined, source: { kind: 'file', file: `/x/${p}` } });
const pair = (name: string): PairEntry => ({ status: 'pair', name, before: img(`before/${name}`), after: img(`after/${name}`) });
const facts: LocalFacts = { status: 'changed', compared: 'pixels', before: undefined, after: undefined, pixelsChanged: 5, bbox: null };
const same: DiffItem = { kind: 'same', entry: pair('a.png'), facts: { ...facts, status: 'same', pixelsChanged: 0 } };
const changed: DiffItem = { kind: 'send', entry: pair('b.png'), facts, images: [] };
const added: DiffItem = { kind: 'only', entry: { status: 'added', name: 'c.png', after: img('after/c.png') } };
const removed: DiffItem = { kind: 'send', entry: { status: 'removed', name: 'd.png', before: img('before/d.png') }, facts: undefined, images: [] };

describe('localLine', () => {
  it.each([
    [
      [same, changed, added, removed],
      '4 pairs compared locally: 1 same (not sent), 1 changed, 1 added, 1 removed; files on one side are not described (--describe-new describes them)',
    ],
    [[same, changed, removed], '3 pairs compared locally: 1 same (not sent), 1 changed, 1 removed'],
    [[changed], '1 pair compared locally: 1 changed'],
    [[], '0 pairs compared locally: none'],
  ] as [DiffItem[], string][])('%#: %s', (items, line) => {
    expect(localLine(items)).toBe(line);
  });
});

describe('DiffTotals', () => {
  it('counts pairs as they finish, spends request by request, and sums up', () => {
    const t = new DiffTotals(4, 'CNY');
    expect(t.progress()).toBe('0/4 pairs done, 0 failed, ¥0.00 so far');
    const answer = { changed: true, summary: 's', changes: [], as_expected: null };
    const records = [
      sameRecord(pair('a.png'), same.kind === 'same' ? same.facts : facts, 'CNY'),
      answeredRecord(pair('b.png'), facts, answer, { model: 'kimi-k2.6', usage: undefined }, { model: 'kimi-k2.6', currency: 'CNY', cached: true }),
      errorRecord(pair('c.png'), facts, new UsageError('no'), 'CNY'),
    ];
    for (const r of records) t.add(r);
    t.spend({ prompt_tokens: 1000, completion_tokens: 10, cost: 0.00677, priced: true });
    t.spend({ prompt_tokens: 1000, completion_tokens: 10, cost: 0.00677, priced: true });
    expect(t.progress()).toBe('3/4 pairs done, 1 failed, ¥0.014 so far');
    expect(t.summary(records, 1234)).toBe('3 pairs: 1 changed, 1 same, 1 failed · 1 from cache · 1 not done · 2,000 prompt + 20 completion tokens · ¥0.014 · 1.23 s');
    expect(new DiffTotals(1, 'USD').summary([onlyRecord({ status: 'added', name: 'c', after: img('c') }, 'USD')], 10)).toBe(
      '1 pair: 1 added · 0 prompt + 0 completion tokens · $0.00 · 0.01 s',
    );
  });
});

describe('diffSettings', () => {
  const env = {};
  it('defaults: text, --fail-on never, threshold 0, 4 in flight, no cache, no shard', () => {
    expect(diffSettings({}, env)).toEqual({ format: 'text', failOn: 'never', threshold: 0, describeNew: false, concurrency: 4, rpm: undefined, cache: false, shard: undefined });
  });
  it.each([
    [{ format: 'markdown' }, undefined, { format: 'markdown' }],
    [{}, 'json', { format: 'jsonl' }],
    [{ format: 'text' }, 'json', { format: 'text' }],
    [{ failOn: 'unexpected', threshold: 0.5, describeNew: true }, undefined, { failOn: 'unexpected', threshold: 0.5, describeNew: true }],
    [{ concurrency: 8, rpm: 60, shard: '2/3' }, undefined, { concurrency: 8, rpm: 60, shard: { index: 2, count: 3 } }],
  ])('%o with config format %s', (flags, configFormat, want) => {
    expect(diffSettings(flags, env, configFormat)).toMatchObject(want);
  });
  it('KIMI_VISION_CACHE=1 turns the cache on', () => {
    expect(diffSettings({}, { KIMI_VISION_CACHE: '1' }).cache).toBe(true);
  });
  it.each([[{ format: 'json' }], [{ failOn: 'always' }], [{ threshold: 101 }], [{ shard: '3/2' }]])('%o: a usage error', (flags) => {
    expect(() => diffSettings(flags, env)).toThrow(UsageError);
  });
});
