// The Batch API parts that are pure: custom ids, the JSONL line around a streamed body, the split
// into files of at most N bytes, reading output/error files into the --each record, the batch
// object and its status text, the poll backoff, and the manifest file.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchLine, customId, indexOfCustomId, MAX_BATCH_FILE_BYTES, splitBySize } from '../../src/batch/lines.js';
import { loadManifest, manifestPath, saveManifest } from '../../src/batch/manifest.js';
import { buildRecord, missingOutcome, parseResultLines, type Outcome } from '../../src/batch/results.js';
import { nextPollDelay, readBatch, batchStatusText } from '../../src/batch/status.js';
import { jsonlLine } from '../../src/results/formats.js';
import { successRecord } from '../../src/results/record.js';
import { DamagedStateError, EXIT, InputError, NetworkError, UsageError } from '../../src/errors.js';
import type { Image } from '../../src/inputs/image.js';
import { makePlan } from '../../src/plan/plan.js';
import { bodyChunks, bodyToString } from '../../src/request/body.js';
import { describeMessages } from '../../src/request/messages.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kv-batch-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function fileImage(name: string, size: number): Image {
  const data = Buffer.alloc(size).map((_, i) => (i * 131 + size) & 255) as Buffer;
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return {
    path: name,
    mime: 'image/png',
    kind: 'image',
    bytes: size,
    sha256: createHash('sha256').update(data).digest('hex'),
    dimensions: { width: 64, height: 48 },
    source: { kind: 'file', file },
  };
}
const planOf = (img: Image) => makePlan([img], describeMessages([img], 'Alt text?', 'Be terse.'), { model: 'kimi-k2.6', stream: false, maxTokens: 80 }, 'CNY');

describe('custom ids', () => {
  it('name the input position and the start of the content hash, and read back', () => {
    const sha = 'ab12'.repeat(16);
    expect(customId(0, sha)).toBe('img-0-ab12ab12ab12');
    expect(customId(1234, sha)).toBe('img-1234-ab12ab12ab12');
    expect(indexOfCustomId(customId(1234, sha))).toBe(1234);
    expect(indexOfCustomId('request-1')).toBeUndefined();
    expect(indexOfCustomId('img-3-xyz')).toBeUndefined();
  });

  it('are unique for the same image given twice', () => {
    const sha = 'f'.repeat(64);
    expect(new Set([0, 1, 2].map((i) => customId(i, sha))).size).toBe(3);
  });
});

describe('a batch line', () => {
  it('is one JSON line {custom_id, method, url, body} whose body is exactly the chat request, with the size known up front', async () => {
    for (const size of [0, 1, 2, 3, 1000, 786_433]) {
      const img = fileImage(`l${size}.png`, size);
      const plan = planOf(img);
      const line = batchLine('img-7-abc', plan.body);
      const text = await bodyToString(line);
      expect(Buffer.byteLength(text)).toBe(line.bytes);
      expect(text.endsWith('}\n')).toBe(true);
      expect(text.slice(0, -1)).not.toContain('\n');
      const parsed = JSON.parse(text);
      expect(Object.keys(parsed)).toEqual(['custom_id', 'method', 'url', 'body']);
      expect(parsed).toMatchObject({ custom_id: 'img-7-abc', method: 'POST', url: '/v1/chat/completions' });
      expect(parsed.body).toEqual(JSON.parse(await bodyToString(plan.body)));
      expect(parsed.body).toMatchObject({ model: 'kimi-k2.6', stream: false, max_completion_tokens: 80 });
      expect(parsed.body).not.toHaveProperty('stream_options');
      const url: string = parsed.body.messages[1].content[0].image_url.url;
      expect(
        createHash('sha256')
          .update(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'))
          .digest('hex'),
      ).toBe(img.sha256);
    }
  });

  it('streams: many lines come out in chunks, never one string of the whole file', async () => {
    const lines = ['a', 'b', 'c'].map((n, i) => batchLine(customId(i, 'e'.repeat(64)), planOf(fileImage(`${n}.png`, 2_000_000)).body));
    let largest = 0;
    let total = 0;
    for (const line of lines) {
      for await (const chunk of bodyChunks(line)) {
        largest = Math.max(largest, chunk.length);
        total += chunk.length;
      }
    }
    expect(total).toBe(lines.reduce((n, l) => n + l.bytes, 0));
    expect(largest).toBeLessThan(1_000_000); // base64 of 720 KiB reads, not 2.7 MB images
  });
});

describe('splitBySize', () => {
  const sized = (...bytes: number[]) => bytes.map((b, i) => ({ bytes: b, name: `n${i}` }));
  const shape = (groups: { bytes: number }[][]) => groups.map((g) => g.map((x) => x.bytes));

  it.each([
    ['all fit in one file', [10, 20, 30], 100, [[10, 20, 30]]],
    ['an exact fit stays together', [50, 50], 100, [[50, 50]]],
    ['one byte over starts a new file', [50, 51], 100, [[50], [51]]],
    ['greedy, in input order', [60, 30, 20, 90, 10], 100, [[60, 30], [20], [90, 10]]],
    ['one line per file when each is big', [70, 70, 70], 100, [[70], [70], [70]]],
    ['a line of exactly the limit', [100, 1], 100, [[100], [1]]],
    ['nothing', [], 100, []],
  ])('%s', (_name, bytes, limit, expected) => {
    const groups = splitBySize(sized(...bytes), limit);
    expect(shape(groups)).toEqual(expected);
    for (const g of groups) expect(g.reduce((n, x) => n + x.bytes, 0)).toBeLessThanOrEqual(limit);
    expect(groups.flat().map((x) => x.name)).toEqual(sized(...bytes).map((x) => x.name)); // nothing lost, order kept
  });

  it('refuses a line over the limit, naming it', () => {
    const lines = sized(10, 150, 10);
    expect(() => splitBySize(lines, 100, (x) => `shots/${x.name}.png`)).toThrow(InputError);
    expect(() => splitBySize(lines, 100, (x) => `shots/${x.name}.png`)).toThrow(/^shots\/n1\.png: its batch line would be/);
  });

  it('defaults to the 100 MB of a batch input file', () => {
    expect(MAX_BATCH_FILE_BYTES).toBe(100 * 1024 * 1024);
    const mb = 1024 * 1024;
    expect(shape(splitBySize(sized(60 * mb, 40 * mb, 1)))).toEqual([[60 * mb, 40 * mb], [1]]);
  });

  it('splits real lines so that each file stays under the limit', async () => {
    const lines = [3000, 5000, 4000, 1000].map((size, i) => batchLine(customId(i, 'c'.repeat(64)), planOf(fileImage(`s${i}.png`, size)).body));
    const limit = 12_000;
    const groups = splitBySize(lines, limit);
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) {
      let bytes = 0;
      for (const line of g) bytes += Buffer.byteLength(await bodyToString(line));
      expect(bytes).toBeLessThanOrEqual(limit);
    }
  });
});

const okLine = (id: string, text = 'A cat.', extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'batch_req_1',
    custom_id: id,
    response: {
      status_code: 200,
      request_id: 'r1',
      body: {
        id: 'c1',
        object: 'chat.completion',
        model: 'kimi-k2.6',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', ...extra }],
        usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010 },
      },
    },
    error: null,
  });

describe('reading output and error files', () => {
  it('maps each line by custom_id: answers, API errors, and errors without an HTTP answer', () => {
    const text = [
      okLine('img-0-a'),
      JSON.stringify({
        id: 'x',
        custom_id: 'img-1-b',
        response: { status_code: 400, request_id: 'r2', body: { error: { type: 'invalid_request_error', message: 'unsupported image format: image/tiff' } } },
        error: { code: 'invalid_request_error', message: 'unsupported image format: image/tiff' },
      }),
      JSON.stringify({
        id: 'y',
        custom_id: 'img-2-c',
        response: null,
        error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
      }),
      JSON.stringify({ id: 'z', custom_id: 'img-3-d', response: { status_code: 429, body: { error: { type: 'rate_limit_reached_error', message: 'slow' } } } }),
      'not json',
      '{"no":"custom id"}',
      '',
    ].join('\n');
    const { results, unreadable } = parseResultLines(text);
    expect(unreadable).toBe(2);
    expect([...results.keys()]).toEqual(['img-0-a', 'img-1-b', 'img-2-c', 'img-3-d']);
    const ok = results.get('img-0-a') as Outcome & { ok: true };
    expect(ok.ok).toBe(true);
    expect(ok.completion).toMatchObject({ text: 'A cat.', finishReason: 'stop', model: 'kimi-k2.6', usage: { prompt_tokens: 1000 } });
    const codes = ['img-1-b', 'img-2-c', 'img-3-d'].map((id) => {
      const o = results.get(id) as Outcome & { ok: false };
      return [o.error.exitCode, o.error.message];
    });
    expect(codes).toEqual([
      [EXIT.rejected, 'unsupported image format: image/tiff'],
      [EXIT.temporary, 'This request could not be executed before the completion window expired.'],
      [EXIT.temporary, 'slow'],
    ]);
  });

  it('a second file adds to the same map (output, then errors)', () => {
    const { results } = parseResultLines(okLine('img-0-a'));
    parseResultLines(okLine('img-1-b'), results);
    expect(results.size).toBe(2);
  });
});

describe('the record of a batch result', async () => {
  const subject = { path: 'docs/shot.png', sha256: 'f'.repeat(64), mime: 'image/png' };
  const ctx = { model: 'kimi-k2.6', currency: 'CNY' as const, maxChars: undefined };
  const outcome = (line: string) => parseResultLines(line).results.values().next().value as Outcome;

  it('is the --each record: same fields, same values as a streamed answer would give (ms 0)', async () => {
    const built = await buildRecord(subject, outcome(okLine('img-0-a')), ctx);
    const each = successRecord(
      subject,
      { model: 'kimi-k2.6', text: 'A cat.', finishReason: 'stop', usage: { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010 } },
      { model: 'kimi-k2.6', currency: 'CNY', ms: 0, cached: false },
    );
    expect(jsonlLine(built.record)).toBe(jsonlLine(each));
    expect(built.spent).toEqual({ prompt_tokens: 1000, completion_tokens: 10, cost: each.cost.amount, priced: true });
  });

  it('an API error: the explained message, Moonshot type and exit code', async () => {
    const line = JSON.stringify({
      custom_id: 'img-1-b',
      response: { status_code: 400, body: { error: { type: 'invalid_request_error', message: 'Your request exceeded model token limit : 262144' } } },
    });
    const r = (await buildRecord(subject, outcome(line), ctx)).record;
    expect(r.error).toEqual({
      code: EXIT.rejected,
      type: 'invalid_request_error',
      message: "the request is over kimi-k2.6's token limit (400 invalid_request_error: Your request exceeded model token limit : 262144).",
    });
    expect(r).toMatchObject({ text: '', finish_reason: null, usage: { total_tokens: 0 }, cost: { amount: 0, currency: 'CNY' }, cached: false });
  });

  it('fails an answer stopped by the content filter, or longer than --max-chars, as --each does (tokens still spent)', async () => {
    const filtered = await buildRecord(subject, outcome(okLine('a', 'x', { finish_reason: 'content_filter' })), ctx);
    expect(filtered.record.error).toMatchObject({ code: EXIT.rejected, type: 'content_filter' });
    expect(filtered.spent?.prompt_tokens).toBe(1000);
    const long = await buildRecord(subject, outcome(okLine('a', 'é'.repeat(21))), { ...ctx, maxChars: 20 });
    expect(long.record.error).toEqual({ code: EXIT.rejected, type: 'too_long', message: 'the answer has 21 characters, over --max-chars 20.' });
    expect((await buildRecord(subject, outcome(okLine('a', 'é'.repeat(20))), { ...ctx, maxChars: 20 })).record.error).toBeNull();
  });

  it('no line for an image: exit 75 (send again), or 5 with the reasons when the batch failed validation', async () => {
    const expired = (await buildRecord(subject, missingOutcome({ id: 'batch_1', status: 'expired', errors: [] }, 'img-0-a'), ctx)).record;
    expect(expired.error).toEqual({ code: EXIT.temporary, type: 'no_result', message: 'the batch batch_1 (expired) has no result for img-0-a.' });
    const failed = (await buildRecord(subject, missingOutcome({ id: 'batch_1', status: 'failed', errors: ['line 3: duplicate custom_id'] }, 'img-0-a'), ctx)).record;
    expect(failed.error).toEqual({ code: EXIT.rejected, type: 'batch_failed', message: 'the batch batch_1 failed validation: line 3: duplicate custom_id.' });
  });
});

describe('the batch object', () => {
  const obj = {
    id: 'batch_1',
    object: 'batch',
    status: 'in_progress',
    output_file_id: null,
    error_file_id: '',
    created_at: 1_700_000_000,
    request_counts: { total: 40, completed: 11, failed: 1 },
    errors: { data: [{ line: 3, message: 'bad' }] },
  };

  it('is read defensively', () => {
    const b = readBatch(obj, 'h');
    expect(b).toMatchObject({
      id: 'batch_1',
      status: 'in_progress',
      counts: { total: 40, completed: 11, failed: 1 },
      outputFileId: undefined,
      errorFileId: undefined,
      errors: ['line 3: bad'],
      completedAt: undefined,
    });
    expect(readBatch({ id: 'b', status: 'validating' }, 'h').counts).toEqual({ total: 0, completed: 0, failed: 0 });
    expect(() => readBatch({ error: 'x' }, 'api.example')).toThrow(NetworkError);
  });

  it('reads as the id, status and counts', () => {
    expect(batchStatusText(readBatch(obj, 'h'))).toBe('batch_1\tin_progress: 12 of 40 done, 1 failed\n  created 2023-11-14T22:13:20.000Z\n  error: line 3: bad\n');
  });

  it('is polled less and less often, up to a ceiling, never below the first pause', () => {
    const delays = [1000];
    for (let i = 0; i < 12; i++) delays.push(nextPollDelay(delays.at(-1)!, 20_000));
    expect(delays.slice(0, 5)).toEqual([1000, 1500, 2250, 3375, 5063]);
    expect(delays.at(-1)).toBe(20_000);
    expect(nextPollDelay(50_000, 20_000)).toBe(50_000);
  });
});

describe('the manifest', () => {
  it('round-trips in the state dir, keeping input order', async () => {
    const env = { KIMI_VISION_HOME: mkdtempSync(path.join(dir, 'home-')) };
    const images = {
      'img-0-b': { path: 'b.png', file: '/x/b.png', sha256: 'b', mime: 'image/png', bytes: 1 },
      'img-1-a': { path: '-', sha256: 'a', mime: 'image/jpeg', bytes: 2 },
    };
    const file = await saveManifest(env, { batch_id: 'batch_9', input_file_id: 'file-1', model: 'kimi-k2.6', currency: 'USD', part: 1, parts: 1, created_at: 'now', images });
    expect(file).toBe(path.join(env.KIMI_VISION_HOME, 'state', 'batches', 'batch_9.json'));
    const m = await loadManifest(env, 'batch_9');
    expect(Object.keys(m!.images)).toEqual(['img-0-b', 'img-1-a']);
    expect(m).toMatchObject({ version: 1, model: 'kimi-k2.6', currency: 'USD', images });
  });

  it('is missing (not an error) when absent, and refuses ids that are not file names', async () => {
    const env = { KIMI_VISION_HOME: mkdtempSync(path.join(dir, 'home-')) };
    expect(await loadManifest(env, 'batch_none')).toBeUndefined();
    expect(() => manifestPath(env, '../../etc/passwd')).toThrow(UsageError);
    expect(() => manifestPath(env, '.hidden')).toThrow(UsageError);
  });

  it.each([
    ['{"version":1,', /not valid JSON/],
    ['null', /the file must be an object, not null/],
    ['[]', /the file must be an object, not an array/],
    ['{}', /version is missing/],
    [
      '{"version":1,"batch_id":"b","input_file_id":"f","model":"m","currency":"EUR","part":1,"parts":1,"created_at":"now","images":{}}',
      /currency must be "CNY" or "USD", not a string/,
    ],
    [
      '{"version":1,"batch_id":"b","input_file_id":"f","model":"m","currency":"CNY","part":1,"parts":1,"created_at":"now","images":{"img-0":{"path":3}}}',
      /images\["img-0"\]\.path must be a string, not a number/,
    ],
  ])('a damaged manifest (%s) is "damaged: <path>", exit 2, with a hint', async (text, problem) => {
    const env = { KIMI_VISION_HOME: mkdtempSync(path.join(dir, 'home-')) };
    mkdirSync(path.join(env.KIMI_VISION_HOME, 'state', 'batches'), { recursive: true });
    const file = manifestPath(env, 'batch_bad');
    writeFileSync(file, text);
    const err = (await loadManifest(env, 'batch_bad').then(
      () => undefined,
      (e: unknown) => e,
    )) as DamagedStateError;
    expect(err).toBeInstanceOf(DamagedStateError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`damaged: ${file} (`);
    expect(err.message).toMatch(problem);
    expect(err.hint).toContain(`rm ${file}`);
  });
});
