// The diff JSONL record (exact fields, in order, for each status) and the --fail-on decision.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DiffAnswer } from '../../src/diff/answer.js';
import { diffExitCode, failOnVerdict, parseFailOn, type FailOn } from '../../src/diff/fail-on.js';
import { jsonlLine } from '../../src/diff/formats.js';
import { resolvePairs, type PairEntry } from '../../src/diff/pairs.js';
import type { LocalFacts } from '../../src/diff/pixels.js';
import { answeredRecord, errorRecord, onlyRecord, sameRecord, type DiffRecord } from '../../src/diff/record.js';
import { ApiError, EXIT, UsageError } from '../../src/errors.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const FIELDS = ['before', 'after', 'status', 'pixels_changed', 'bbox', 'summary', 'changes', 'as_expected', 'cached', 'usage', 'cost', 'error'];
const S = { width: 200, height: 120 };
const moved: LocalFacts = { status: 'changed', compared: 'pixels', before: S, after: S, pixelsChanged: 5, bbox: { x: 12, y: 70, width: 78, height: 20 } };
const same: LocalFacts = { status: 'same', compared: 'bytes', before: S, after: S, pixelsChanged: 0, bbox: null };
const answer: DiffAnswer = {
  changed: true,
  summary: 'The pink block moved right.',
  changes: [{ where: 'the pink block', what: 'moved 48 px right', kind: 'layout' }],
  as_expected: false,
};
const usage = { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010 };

const entries = async (): Promise<Record<string, PairEntry>> => {
  const p = await resolvePairs(['fixtures/diff/baseline', 'fixtures/diff/current'], ROOT);
  return Object.fromEntries(p.entries.map((e) => [e.name, e]));
};
const parsed = (r: DiffRecord) => JSON.parse(jsonlLine(r));

describe('the record', () => {
  it('a changed pair: exactly the documented fields, in order', async () => {
    const e = (await entries())['settings.png']!;
    const r = parsed(answeredRecord(e, moved, answer, { model: 'kimi-k2.6', usage }, { model: 'kimi-k2.6', currency: 'CNY', cached: false }));
    expect(Object.keys(r)).toEqual(FIELDS);
    expect(r).toEqual({
      before: 'fixtures/diff/baseline/settings.png',
      after: 'fixtures/diff/current/settings.png',
      status: 'changed',
      pixels_changed: 5,
      bbox: { x: 12, y: 70, width: 78, height: 20 },
      summary: answer.summary,
      changes: answer.changes,
      as_expected: false,
      cached: false,
      usage,
      cost: { amount: 0.00677, currency: 'CNY' },
      error: null, // 1000 x 6.5 + 10 x 27 per million
    });
    expect(jsonlLine(answeredRecord(e, moved, answer, { model: 'kimi-k2.6', usage }, { model: 'kimi-k2.6', currency: 'CNY', cached: false })).endsWith('}\n')).toBe(true);
  });

  it('a cache hit costs nothing this run and says so', async () => {
    const e = (await entries())['settings.png']!;
    const r = answeredRecord(e, moved, answer, { model: 'kimi-k2.6', usage }, { model: 'kimi-k2.6', currency: 'USD', cached: true });
    expect(r).toMatchObject({ cached: true, cost: { amount: 0, currency: 'USD' }, usage });
  });

  it('a same pair: nothing said or spent, the local facts kept', async () => {
    const r = parsed(sameRecord((await entries())['home.png']!, same, 'CNY'));
    expect(Object.keys(r)).toEqual(FIELDS);
    expect(r).toEqual({
      before: 'fixtures/diff/baseline/home.png',
      after: 'fixtures/diff/current/home.png',
      status: 'same',
      pixels_changed: 0,
      bbox: null,
      summary: '',
      changes: [],
      as_expected: null,
      cached: false,
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      cost: { amount: 0, currency: 'CNY' },
      error: null,
    });
  });

  it('added and removed files: null on the missing side, no pixel facts', async () => {
    const all = await entries();
    const added = parsed(onlyRecord(all['new-footer.png'] as Extract<PairEntry, { status: 'added' }>, 'CNY'));
    const removed = parsed(onlyRecord(all['old-banner.png'] as Extract<PairEntry, { status: 'removed' }>, 'CNY'));
    expect(Object.keys(added)).toEqual(FIELDS);
    expect(added).toMatchObject({ before: null, after: 'fixtures/diff/current/new-footer.png', status: 'added', pixels_changed: null, bbox: null });
    expect(removed).toMatchObject({ before: 'fixtures/diff/baseline/old-banner.png', after: null, status: 'removed', pixels_changed: null });
  });

  it('a failed pair: the error with its exit code, the facts kept, zero cost', async () => {
    const err = new ApiError({ status: 400, type: 'content_filter', message: 'high risk' });
    const r = parsed(errorRecord((await entries())['settings.png']!, moved, err, 'CNY'));
    expect(Object.keys(r)).toEqual(FIELDS);
    expect(r).toMatchObject({ status: 'error', pixels_changed: 5, summary: '', cost: { amount: 0 }, error: { code: EXIT.rejected, type: 'content_filter', message: 'high risk' } });
  });
});

/** A record with just what the verdict reads. */
const rec = (status: DiffRecord['status'], as_expected: boolean | null = null, error: DiffRecord['error'] = null, name = `${status}.png`): DiffRecord => ({
  before: status === 'added' ? null : `a/${name}`,
  after: status === 'removed' ? null : `b/${name}`,
  status,
  pixels_changed: null,
  bbox: null,
  summary: '',
  changes: [],
  as_expected,
  cached: false,
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  cost: { amount: 0, currency: 'CNY' },
  error,
});

describe('--fail-on', () => {
  it.each<[string, DiffRecord[], FailOn, boolean]>([
    ['nothing changed', [rec('same'), rec('same')], 'changed', false],
    ['a changed pair', [rec('same'), rec('changed')], 'changed', true],
    ['an added file', [rec('same'), rec('added')], 'changed', true],
    ['a removed file', [rec('removed')], 'changed', true],
    ['changed but never', [rec('changed'), rec('added')], 'never', false],
    ['changed as expected', [rec('changed', true)], 'unexpected', false],
    ['changed, not as expected', [rec('changed', true), rec('changed', false)], 'unexpected', true],
    ['no expectation asked: null never trips it', [rec('changed'), rec('added')], 'unexpected', false],
    ['no pairs', [], 'changed', false],
  ])('%s (%s)', (_name, records, mode, fail) => {
    expect(failOnVerdict(records, mode).fail).toBe(fail);
  });

  it('says what tripped it, naming a few', () => {
    const records = [rec('same'), rec('changed', null, null, 'x.png'), rec('added', null, null, 'y.png'), rec('changed', null, null, 'z.png'), rec('removed', null, null, 'w.png')];
    expect(failOnVerdict(records, 'changed').message).toBe('check found differences (--fail-on changed): 4 of 5 pairs differ: b/x.png, b/y.png, b/z.png, … (1 more)');
    expect(failOnVerdict([rec('changed', false, null, 'x.png')], 'unexpected').message).toBe('check found differences (--fail-on unexpected): 1 pair not as expected: b/x.png');
    expect(failOnVerdict(records, 'never').message).toBeUndefined();
  });

  it('the exit code: the first failure wins, else 7 when tripped, else 0', () => {
    const temp = { code: EXIT.temporary, type: 'rate_limit_reached_error', message: 'slow down' };
    const auth = { code: EXIT.auth, type: 'invalid_authentication_error', message: 'bad key' };
    expect(diffExitCode([rec('changed'), rec('error', null, temp), rec('error', null, auth)], 'changed')).toBe(EXIT.temporary);
    expect(diffExitCode([rec('changed')], 'changed')).toBe(7);
    expect(diffExitCode([rec('changed')], 'never')).toBe(0);
    expect(diffExitCode([rec('same')], 'changed')).toBe(0);
  });

  it('parses the flag; anything else is a usage error', () => {
    expect(parseFailOn(undefined)).toBe('never');
    expect(parseFailOn('unexpected')).toBe('unexpected');
    expect(() => parseFailOn('always')).toThrow(UsageError);
    expect(() => parseFailOn('always')).toThrow(/--fail-on always: not one of changed, unexpected, never\./);
  });
});
