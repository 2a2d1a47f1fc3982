// --each output: input order whatever the finishing order, the JSONL record shape, Markdown escaping
// and links, text sections; the record of a failure.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, EXIT, NetworkError, UsageError } from '../../src/errors.js';
import { escapeMarkdown, InOrder, jsonlLine, markdownSection, mediaLink, relativeLink, textSection } from '../../src/results/formats.js';
import { failureRecord, ImageFailure, successRecord, type ImageRecord } from '../../src/results/record.js';
import { Totals } from '../../src/results/totals.js';
import { estimateLine } from '../../src/output/estimate-line.js';
import { sumEstimates } from '../../src/estimate/estimate.js';

const subject = { path: 'docs/shot.png', sha256: 'f'.repeat(64), mime: 'image/png' };
const ok = (p = subject.path, text = 'A login form.'): ImageRecord =>
  successRecord(
    { ...subject, path: p },
    { model: 'kimi-k2.6', text, finishReason: 'stop', usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010 } },
    { model: 'kimi-k2.6', currency: 'CNY', ms: 812.4, cached: false },
  );
const failed = (err: unknown, p = subject.path) => failureRecord({ ...subject, path: p }, err, { model: 'kimi-k2.6', currency: 'CNY', ms: 5 });

describe('InOrder', () => {
  it('emits each item once, in index order, as soon as every earlier one is in', () => {
    const out: string[] = [];
    const order = new InOrder<string>(5, (item) => out.push(item));
    order.put(2, 'c');
    order.put(1, 'b');
    expect(out).toEqual([]);
    order.put(0, 'a');
    expect(out).toEqual(['a', 'b', 'c']);
    order.put(4, 'e');
    expect(out).toEqual(['a', 'b', 'c']);
    order.put(3, 'd');
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    order.drain();
    expect(out).toHaveLength(5);
  });

  it('drain() lets out what finished past a gap (a stopped run keeps every result), still in order', () => {
    const out: number[] = [];
    const order = new InOrder<number>(6, (_item, i) => out.push(i));
    order.put(5, 5);
    order.put(0, 0);
    order.put(3, 3);
    order.drain();
    expect(out).toEqual([0, 3, 5]);
  });
});

describe('the record', () => {
  it('has exactly the documented fields, in order', () => {
    const line = jsonlLine(ok());
    expect(line.endsWith('}\n')).toBe(true);
    const r = JSON.parse(line);
    expect(Object.keys(r)).toEqual(['path', 'sha256', 'mime', 'model', 'text', 'finish_reason', 'usage', 'cost', 'ms', 'error', 'cached']);
    expect(r).toMatchObject({
      text: 'A login form.',
      finish_reason: 'stop',
      usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010 },
      ms: 812,
      error: null,
      cached: false,
    });
    expect(r.cost).toEqual({ amount: 0.00677, currency: 'CNY' }); // 1000 x 6.5 + 10 x 27 per million
  });

  it('a cache hit costs nothing this run', () => {
    const r = successRecord(
      subject,
      { model: 'kimi-k2.6', text: 'x', finishReason: 'stop', usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } },
      { model: 'kimi-k2.6', currency: 'USD', ms: 0, cached: true },
    );
    expect(r.cost).toEqual({ amount: 0, currency: 'USD' });
    expect(r.cached).toBe(true);
  });

  it.each([
    [new ApiError({ status: 400, type: 'content_filter', message: 'high risk' }), { code: EXIT.rejected, type: 'content_filter', message: 'high risk' }],
    [new ApiError({ status: 429, type: 'rate_limit_reached_error', message: 'slow down' }), { code: EXIT.temporary, type: 'rate_limit_reached_error' }],
    [new ApiError({ status: 502, type: '', message: 'HTTP 502' }), { code: EXIT.temporary, type: 'http_502' }],
    [new NetworkError('ECONNRESET', 'closed'), { code: EXIT.temporary, type: 'ECONNRESET' }],
    [new ImageFailure(EXIT.rejected, 'too_long', 'the answer has 130 characters,\nover 100.'), { code: 5, type: 'too_long', message: 'the answer has 130 characters, over 100.' }],
    [new UsageError('bad'), { code: EXIT.usage, type: 'UsageError' }],
    [new Error('bug'), { code: EXIT.internal, type: 'internal_error' }],
  ])('a failure: empty text, zero usage and cost, the error with its exit code (%s)', (err, expected) => {
    const r = failed(err);
    expect(r).toMatchObject({ text: '', finish_reason: null, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, cost: { amount: 0 }, cached: false });
    expect(r.error).toMatchObject(expected);
  });
});

describe('text', () => {
  it('a header line with the path, the description, a blank line between sections; failures left to stderr', () => {
    expect(textSection(ok('a.png', 'One.\n'), true) + textSection(ok('b.png', 'Two.'), false)).toBe('==> a.png <==\nOne.\n\n==> b.png <==\nTwo.\n');
    expect(textSection(failed(new Error('x')), false)).toBe('');
  });
});

describe('markdown', () => {
  it('one section per image: the path as heading, a relative image link, the description', () => {
    expect(markdownSection(ok(), 'docs/shot.png')).toBe('## docs/shot.png\n\n![shot.png](docs/shot.png)\n\nA login form.\n\n');
  });

  it('shows a failure as a blockquote with its type, exit code and message', () => {
    const md = markdownSection(failed(new ImageFailure(EXIT.rejected, 'too_long', 'the answer has 130 characters, over --max-chars 100.')), 'docs/shot.png');
    expect(md).toContain('\n> **Failed** (too_long, exit 5): the answer has 130 characters, over --max-chars 100.\n');
  });

  it('escapes what Markdown would read as formatting in headings and alt text', () => {
    expect(escapeMarkdown('my_[draft]*<b>#1|`x`~\\')).toBe('my\\_\\[draft\\]\\*\\<b\\>\\#1\\|\\`x\\`\\~\\\\');
    const md = markdownSection(ok('shots/a_b [1].png'), 'shots/a_b%20%5B1%5D.png');
    expect(md.split('\n')[0]).toBe('## shots/a\\_b \\[1\\].png');
    expect(md).toContain('![a\\_b \\[1\\].png](shots/a_b%20%5B1%5D.png)');
  });

  it('links relative to the reader, each segment percent-encoded (spaces, parentheses, #, non-ASCII)', () => {
    const cwd = path.resolve('/repo');
    expect(relativeLink(cwd, path.join(cwd, 'docs', 'my shot (1)#2.png'))).toBe('docs/my%20shot%20%281%29%232.png');
    expect(relativeLink(path.join(cwd, 'out'), path.join(cwd, 'docs', '截图.png'))).toBe('../docs/%E6%88%AA%E5%9B%BE.png');
    expect(mediaLink({ path: '-', source: { kind: 'memory' } }, cwd)).toBeUndefined();
    expect(mediaLink({ path: 'https://example.com/a b.png', source: { kind: 'memory' } }, cwd)).toBe('https://example.com/a%20b.png');
  });

  it('titles stdin "stdin", without a link', () => {
    expect(markdownSection(ok('-'), undefined)).toBe('## stdin\n\nA login form.\n\n');
  });
});

describe('the progress and closing lines', () => {
  it('count described, failed, cached, skipped and not done; money spent includes failed checks', () => {
    const t = new Totals(5, 2, 'CNY');
    expect(t.progress()).toBe('0/5 described, 0 failed, ¥0.00 so far');
    t.add(ok(), { prompt_tokens: 1000, completion_tokens: 10, cost: 0.00677, priced: true });
    t.add({ ...ok(), cached: true, cost: { amount: 0, currency: 'CNY' } });
    t.add(failed(new ImageFailure(EXIT.rejected, 'too_long', 'x')), { prompt_tokens: 500, completion_tokens: 90, cost: 0.00568, priced: true });
    expect(t.progress()).toBe('2/5 described, 1 failed, ¥0.012 so far');
    expect(t.summary(12_345)).toBe('2 described (1 from cache), 1 failed, 2 skipped (sidecar exists), 2 not done · 1,500 prompt + 100 completion tokens · ¥0.012 · 12.3 s');
  });

  it('the estimate line says what will be sent, and when nothing will', () => {
    const e = sumEstimates(
      [
        { image_tokens: 361, text_tokens: 13, input_tokens: 374, cost: { amount: 0.002431, currency: 'CNY' } },
        { image_tokens: 2, text_tokens: 13, input_tokens: 15, cost: { amount: 0.000098, currency: 'CNY' } },
      ],
      'CNY',
    );
    expect(estimateLine(e, { images: 2, model: 'kimi-k2.6', priced: true, perImage: { cached: 1, skipped: 0 } })).toBe(
      '2 images to send (1 cached) · ~389 input tokens (363 image + 26 text) · kimi-k2.6 · est. ¥0.0025 input',
    );
    expect(estimateLine(sumEstimates([], 'CNY'), { images: 0, model: 'kimi-k2.6', priced: true, perImage: { cached: 3, skipped: 1 } })).toBe(
      'nothing to send (3 cached, 1 skipped)',
    );
  });
});
