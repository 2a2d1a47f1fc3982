// A paid answer is never thrown away: an answer that comes back, is billed, and still fails its image
// (too long for --max-chars, stopped by the content filter, not the JSON asked for, its sidecar not
// writable) keeps its text, real usage and cost in the record, with the error; and the totals count
// exactly what the records say, for --each and for batch fetch alike.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRecord, parseResultLines, type Outcome } from '../../src/batch/results.js';
import { EXIT } from '../../src/errors.js';
import { checkAnswer } from '../../src/results/check.js';
import { failedAnswerRecord, successRecord, type ImageRecord } from '../../src/results/record.js';
import { sidecarFailure, writeSidecar } from '../../src/results/sidecar.js';
import { Totals } from '../../src/results/totals.js';

const subject = { path: 'docs/shot.png', sha256: 'a'.repeat(64), mime: 'image/png' };
const usage = { prompt_tokens: 1000, completion_tokens: 40, total_tokens: 1040 };
const o = { model: 'kimi-k2.6', currency: 'CNY' as const, ms: 12, cached: false };
const NO_JSON = { json: false, schema: undefined };

describe('an answer that fails its check keeps what was paid for', () => {
  it.each([
    ['too_long', { text: 'A sentence far longer than the limit.', finishReason: 'stop' }, 10, NO_JSON],
    ['content_filter', { text: 'Part of an ans', finishReason: 'content_filter' }, undefined, NO_JSON],
    ['invalid_json', { text: '{"alt": "cut', finishReason: 'length' }, undefined, { json: true, schema: undefined }],
    [
      'invalid_json',
      { text: '{"alt": 3}', finishReason: 'stop' },
      undefined,
      { json: true, schema: { type: 'object', required: ['alt'], properties: { alt: { type: 'string' } } } },
    ],
  ] as const)('%s: text, finish_reason, usage and cost stay; the error says why', async (type, answer, maxChars, response) => {
    const c = { model: 'kimi-k2.6', usage, ...answer };
    const problem = await checkAnswer(c, maxChars, response);
    expect(problem?.type).toBe(type);
    const paid = successRecord(subject, c, o);
    const r = failedAnswerRecord(paid, problem);
    expect(r).toEqual({ ...paid, error: { code: EXIT.rejected, type, message: problem!.message } });
    expect(r.text).toBe(answer.text);
    expect(r.usage).toEqual(usage);
    expect(r.cost.amount).toBeGreaterThan(0);
  });

  it('a sidecar that cannot be written fails the image with exit 74, the answer kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-paid-'));
    const notAFolder = path.join(dir, 'file');
    writeFileSync(notAFolder, '');
    const paid = successRecord(subject, { model: 'kimi-k2.6', text: 'A cat.', finishReason: 'stop', usage }, o);
    const err = await writeSidecar(paid, path.join(notAFolder, 'shot.png'), 'txt').then(
      () => undefined,
      (e: unknown) => e,
    );
    const r = failedAnswerRecord(paid, sidecarFailure(err, subject.path, 'txt'));
    expect(r.error).toEqual({ code: EXIT.io, type: 'sidecar_failed', message: 'the sidecar docs/shot.png.txt cannot be written: a file is where a folder should be (ENOTDIR).' });
    expect(r).toMatchObject({ text: 'A cat.', usage, cost: paid.cost });
  });
});

describe('records and totals agree', () => {
  const line = (id: string, text: string, finish = 'stop', u = usage) =>
    JSON.stringify({
      custom_id: id,
      response: { status_code: 200, body: { model: 'kimi-k2.6', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }], usage: u } },
    });
  const failedLine = JSON.stringify({ custom_id: 'img-3-x', response: { status_code: 400, body: { error: { type: 'invalid_request_error', message: 'bad image' } } } });

  it('batch fetch: the sum of the records is the totals line, whatever failed', async () => {
    const { results } = parseResultLines(
      [
        line('img-0-a', 'Short.'),
        line('img-1-b', 'Far too long an answer for it.'),
        line('img-2-c', 'Filtered', 'content_filter', { prompt_tokens: 700, completion_tokens: 3, total_tokens: 703 }),
        failedLine,
      ].join('\n'),
    );
    const totals = new Totals(4, 0, 'CNY');
    const records: ImageRecord[] = [];
    for (const outcome of results.values() as Iterable<Outcome>) {
      const built = await buildRecord(subject, outcome, { model: 'kimi-k2.6', currency: 'CNY', maxChars: 10 });
      totals.add(built.record, built.spent);
      records.push(built.record);
      if (built.spent) expect(built.spent.cost).toBe(built.record.cost.amount);
    }
    expect(records.map((r) => r.error?.type ?? 'ok')).toEqual(['ok', 'too_long', 'content_filter', 'invalid_request_error']);
    expect(records[1]!.text).toBe('Far too long an answer for it.');
    expect(totals.promptTokens).toBe(records.reduce((a, r) => a + r.usage.prompt_tokens, 0));
    expect(totals.completionTokens).toBe(records.reduce((a, r) => a + r.usage.completion_tokens, 0));
    expect(totals.cost).toBeCloseTo(
      records.reduce((a, r) => a + r.cost.amount, 0),
      9,
    );
    expect(totals.summary(0)).toMatch(/^1 described, 3 failed · 2,700 prompt \+ 83 completion tokens/);
  });
});
