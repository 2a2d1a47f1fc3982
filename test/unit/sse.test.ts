import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSse } from '../../src/api/sse.js';
import { applyChunk, emptyCompletion } from '../../src/api/completion.js';
import { ApiError, NetworkError } from '../../src/errors.js';

const captures = new URL('../../fixtures/moonshot-captures/', import.meta.url);
const capture = (name: string) => readFileSync(new URL(name, captures), 'utf8').trim().split('\n');
const framed = (lines: string[], eol = '\n') => lines.map((l) => `data: ${l}${eol}${eol}`).join('') + `data: [DONE]${eol}${eol}`;

async function* pieces(text: string, sizes: number[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  let i = 0;
  for (let k = 0; i < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

async function fold(stream: string, sizes = [1 << 20]) {
  const c = emptyCompletion();
  const events = parseSse(pieces(stream, sizes));
  let r = await events.next();
  for (; !r.done; r = await events.next()) applyChunk(c, r.value);
  return { c, done: r.value.done };
}

describe('parseSse over the real captures', () => {
  it.each([
    ['stream-k2.5-usage-in-choice.jsonl', 'OK.', '', { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, reasoning_tokens: 1 }, 'stop'],
    [
      'stream-k3-thinking-usage-both.jsonl',
      'OK',
      'The user is asking me to reply with exactly "OK". This is a simple request',
      { prompt_tokens: 90, completion_tokens: 50, total_tokens: 140, cached_tokens: 90, reasoning_tokens: 33 },
      'stop',
    ],
    [
      'stream-k3-tool-call.jsonl',
      '',
      'User explicitly asks use get_weather.',
      { prompt_tokens: 213, completion_tokens: 99, total_tokens: 312, cached_tokens: 213, reasoning_tokens: 46 },
      'tool_calls',
    ],
  ])('%s gives the text, reasoning, usage and finish reason', async (file, text, reasoning, usage, finish) => {
    for (const eol of ['\n', '\r\n']) {
      for (const sizes of [[1 << 20], [1], [3, 7, 2, 11]]) {
        const { c, done } = await fold(framed(capture(file), eol), sizes);
        expect(done).toBe(true);
        expect(c.text).toBe(text);
        expect(c.reasoning).toBe(reasoning);
        expect(c.usage).toEqual(usage);
        expect(c.finishReason).toBe(finish);
      }
    }
  });

  it('assembles tool-call fragments by index', async () => {
    const { c } = await fold(framed(capture('stream-k3-tool-call.jsonl')), [5]);
    expect(c.toolCalls).toEqual([{ id: 'get_weather_0', name: 'get_weather', arguments: '{"city": "Paris"}' }]);
  });
});

const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });

describe('parseSse framing', () => {
  it('keeps a Chinese character split across reads intact', async () => {
    const stream = framed([chunk('你好，世界'), chunk('！🙂')]);
    for (let size = 1; size <= 8; size++) expect((await fold(stream, [size])).c.text).toBe('你好，世界！🙂');
  });

  it('ignores comment lines and reports a stream that ends without [DONE]', async () => {
    const { c, done } = await fold(`: keep-alive\n\ndata: ${chunk('a')}\n\n: ping\ndata: ${chunk('b')}\n\n`);
    expect(c.text).toBe('ab');
    expect(done).toBe(false);
  });

  it('stops at [DONE] even if bytes follow', async () => {
    const { c } = await fold(`data: ${chunk('a')}\n\ndata: [DONE]\n\ndata: ${chunk('b')}\n\n`);
    expect(c.text).toBe('a');
  });

  it('throws an ApiError for an error event, typed by its type', async () => {
    const stream = `data: ${chunk('a')}\n\ndata: {"error":{"type":"engine_overloaded_error","message":"busy"}}\n\n`;
    const err = await fold(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toBe('busy');
  });

  it('throws a NetworkError for an event that is not JSON', async () => {
    const err = await fold(`data: {"id":\n\n`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('bad_event');
  });
});

describe('parseSse follows the SSE specification', () => {
  const eols = [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const;
  /** Two data events among lines the specification says to ignore, ended by [DONE]. */
  const odd = (eol: string) =>
    [
      `event: ping`,
      ``,
      `id: 7`,
      `foo: bar`,
      `data: ${chunk('a')}`,
      ``,
      `keepalive`,
      ``,
      `retry: abc`,
      `: ping`,
      `data: ${chunk('b')}`,
      ``,
      `retry: 3000`,
      ``,
      `keepalive`,
      `data: [DONE]`,
      ``,
    ]
      .map((l) => l + eol)
      .join('');

  it.each(eols)('%s: unknown fields, a bare keepalive, a bad retry, id and event blocks without data are ignored', async (_name, eol) => {
    for (const sizes of [[1 << 20], [1], [2, 5, 3]]) {
      const { c, done } = await fold(odd(eol), sizes);
      expect(c.text).toBe('ab');
      expect(done).toBe(true);
    }
  });

  it.each(eols)('%s: the last event counts even without its blank line, and so does a stream ending with a bare CR', async (_name, eol) => {
    for (const sizes of [[1 << 20], [1], [4]]) {
      expect((await fold(`data: ${chunk('a')}${eol}${eol}data: ${chunk('b')}${eol}`, sizes)).c.text).toBe('ab');
      expect((await fold(`data: ${chunk('a')}${eol}${eol}data: ${chunk('b')}`, sizes)).c.text).toBe('ab');
    }
  });

  it('a data field split over lines is joined with a newline, as the specification says', async () => {
    const { c } = await fold(`data: {"choices":[{"index":0,\ndata: "delta":{"content":"x"}}]}\n\n`);
    expect(c.text).toBe('x');
  });

  it('a leading byte-order mark is dropped, also when it is split across reads', async () => {
    for (const sizes of [[1 << 20], [1], [2]]) expect((await fold(`\uFEFF${framed([chunk('a')])}`, sizes)).c.text).toBe('a');
  });

  it('one space after the colon is not part of the value, a second one is; no space at all is fine', async () => {
    const payload = (text: string) => JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] });
    const { c } = await fold(`data:${payload('a')}\n\ndata:  ${payload('b')}\n\ndata: [DONE]\n\n`);
    expect(c.text).toBe('ab');
  });

  it('a CR at the end of one read and an LF at the start of the next are one line end, not an empty line', async () => {
    // Split right after each CR: an empty line between would end the event after its first data line.
    const stream = `data: {"choices":[{"index":0,\r\ndata: "delta":{"content":"x"}}]}\r\n\r\ndata: [DONE]\r\n\r\n`;
    const sizes = [...stream].map((_, i) => (stream[i] === '\r' ? 1 : 0));
    const cuts: number[] = [];
    let last = 0;
    for (let i = 0; i < stream.length; i++)
      if (sizes[i] === 1) {
        cuts.push(i + 1 - last);
        last = i + 1;
      }
    expect((await fold(stream, cuts)).c.text).toBe('x');
  });

  it('a line that never ends is still refused at 16 MiB', async () => {
    const err = await fold(`data: "${'x'.repeat(17 * 1024 * 1024)}`, [1 << 20]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toBe('The API sent an event longer than 16 MiB.');
  });
});

describe('usage placement', () => {
  it('reads usage from the choice, from the top level, and lets the last win', () => {
    const c = emptyCompletion();
    applyChunk(c, { choices: [{ index: 0, delta: {}, finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }] });
    expect(c.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    applyChunk(c, { choices: [], usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } });
    expect(c.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    applyChunk(c, { choices: [], usage: null });
    expect(c.usage?.total_tokens).toBe(9);
  });
});

describe('parseSse properties', () => {
  it('any split of a valid stream gives the same text', async () => {
    const texts = fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 6 });
    const splits = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(texts, splits, fc.boolean(), async (parts, sizes, crlf) => {
        const stream = framed(parts.map(chunk), crlf ? '\r\n' : '\n');
        expect((await fold(stream, sizes)).c.text).toBe(parts.join(''));
      }),
      { numRuns: 150 },
    );
  });

  it('garbage never crashes with anything but a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const c = emptyCompletion();
        try {
          for await (const ev of parseSse(
            (async function* () {
              yield bytes;
            })(),
          ))
            applyChunk(c, ev);
        } catch (e) {
          expect(e instanceof ApiError || e instanceof NetworkError).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
