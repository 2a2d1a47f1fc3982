// The hostile modes: a server that misbehaves in the ways gateways and proxies do. Raw node:http
// requests (no decoding, no redirects followed) so each test sees the bytes as sent.

import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, LineEnding } from './types.js';
import { chat, closeAll, emulator, joinDeltas, openChat, rawChat, readSome, sseChunks, ssePayloads, waitFor } from './testkit.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(closeAll);

const ask = { model: 'kimi-k3', messages: [{ role: 'user', content: 'hello' }] };
const streamAsk = { ...ask, stream: true };

/**
 * What a spec-following SSE client dispatches. With CR-only endings the last `\r` could start a
 * CRLF until the body ends; at the end it is a whole line end, and eventsource-parser 3 (even with
 * reset({consume: true})) does not dispatch that last event. Completing it as CRLF changes no line.
 */
function specEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(text);
  if (text.endsWith('\r')) parser.feed('\n');
  return events;
}

describe('json-error-200', () => {
  it.each([
    ['a stream', streamAsk, 'rate_limit_reached_error', 'please try again after 1 seconds'],
    ['a JSON answer', ask, 'invalid_request_error', 'Invalid request: bad'],
  ])('answers %s with HTTP 200 and a JSON error body', async (_name, body, type, message) => {
    emu.queueFault({ kind: 'json-error-200', type, message });
    const res = await rawChat(emu, body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.toString('utf8')).toBe(JSON.stringify({ error: { message, type } }));
    expect(res.headers['content-length']).toBe(String(res.body.length));
  });
});

describe('endless bodies', () => {
  it.each([
    ['content', 'content'],
    ['reasoning', 'reasoning_content'],
  ] as const)('streams %s deltas forever, with no finish_reason and no [DONE], until the client closes', async (deltas, field) => {
    const e = await emulator();
    e.queueFault({ kind: 'endless-stream', deltas });
    const res = await openChat(e, streamAsk);
    expect([res.statusCode, res.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8']);
    const text = (await readSome(res, 2 * 1024 * 1024)).toString('utf8');
    const payloads = ssePayloads(text.slice(0, text.lastIndexOf('\n\n') + 2));
    expect(payloads.length).toBeGreaterThan(5_000);
    expect(payloads).not.toContain('[DONE]');
    const chunks = payloads.map((p) => JSON.parse(p));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1).every((c) => c.choices[0].finish_reason === null && typeof c.choices[0].delta[field] === 'string')).toBe(true);
    expect(joinDeltas(chunks.slice(1, 3), field)).toBe('and so on, and so on, ');
    await waitFor(() => e.inFlight === 0);
  });

  it('keeps serving other requests while a client reads an endless stream', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'endless-stream' });
    const res = await openChat(e, streamAsk);
    const reading = readSome(res, 8 * 1024 * 1024);
    const other = await chat(e, ask);
    expect(other.status).toBe(200);
    expect(((await other.json()) as any).object).toBe('chat.completion');
    await reading;
    await waitFor(() => e.inFlight === 0);
  });

  it.each([
    [400, 'invalid_request_error'],
    [500, 'server_error'],
  ] as const)('answers %i with a JSON error body that never ends', async (status, type) => {
    const e = await emulator();
    e.queueFault({ kind: 'endless-error-body', status });
    const res = await openChat(e, ask);
    expect([res.statusCode, res.headers['content-type'], res.headers['content-length']]).toEqual([status, 'application/json; charset=utf-8', undefined]);
    const body = (await readSome(res, 4 * 1024 * 1024)).toString('utf8');
    expect(body.startsWith(`{"error":{"type":"${type}","message":"the error goes on and on the error goes on`)).toBe(true);
    expect(body.length).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    const head = `{"error":{"type":"${type}","message":"`;
    expect(body.indexOf('"', head.length)).toBe(-1);
    await waitFor(() => e.inFlight === 0);
  });
});

describe('huge-headers', () => {
  it('sends a 64 KiB header that a default Node/undici client refuses', async () => {
    emu.queueFault({ kind: 'huge-headers' });
    await expect(rawChat(emu, ask)).rejects.toMatchObject({ code: 'HPE_HEADER_OVERFLOW' });
    emu.queueFault({ kind: 'huge-headers' });
    const viaUndici = undiciRequest(`${emu.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify(ask) });
    await expect(viaUndici).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_OVERFLOW' });
    emu.queueFault({ kind: 'huge-headers' });
    const big = await rawChat(emu, ask, {}, 256 * 1024);
    expect(big.status).toBe(200);
    expect(big.headers['x-trace-detail']).toBe('x'.repeat(64 * 1024));
    expect(JSON.parse(big.body.toString('utf8')).object).toBe('chat.completion');
    await expect(fetch(`${emu.baseUrl}/models`, { headers: { authorization: 'Bearer k' } })).resolves.toMatchObject({ status: 200 });
  });
});

describe('sse-odd-lines', () => {
  const normal = async (): Promise<string> => joinDeltas(sseChunks(await (await chat(emu, streamAsk)).text()), 'content');

  it.each(['\n', '\r\n', '\r'] as LineEnding[])('keeps the answer whole for a spec-following client with line ending %j', async (eol) => {
    emu.queueFault({ kind: 'sse-odd-lines', lineEnding: eol });
    const res = await rawChat(emu, streamAsk);
    const text = res.body.toString('utf8');
    for (const line of ['event: ping', 'id: 7', 'foo: bar', 'keepalive', 'retry: abc', 'retry: 3000', ': ping']) {
      expect(text).toContain(`${eol}${line}${eol}`);
    }
    if (eol === '\r') expect(text).not.toContain('\n');
    if (eol === '\r\n') expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const events = specEvents(text);
    expect(events.every((ev) => ev.event === undefined)).toBe(true);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((ev) => JSON.parse(ev.data));
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(joinDeltas(chunks, 'content')).toBe(await normal());
  });
});

describe('content-type-case', () => {
  const contentType = (raw: string[]): [string | undefined, string | undefined] => {
    const i = raw.findIndex((h, k) => k % 2 === 0 && h.toLowerCase() === 'content-type');
    return [raw[i], raw[i + 1]];
  };

  it('serves the stream as Text/Event-Stream; Charset=UTF-8 and JSON as Application/JSON; charset=UTF-8', async () => {
    emu.queueFault({ kind: 'content-type-case' });
    const stream = await rawChat(emu, streamAsk);
    expect(contentType(stream.rawHeaders)).toEqual(['Content-Type', 'Text/Event-Stream; Charset=UTF-8']);
    expect(ssePayloads(stream.body.toString('utf8')).at(-1)).toBe('[DONE]');
    emu.queueFault({ kind: 'content-type-case' });
    const json = await rawChat(emu, ask);
    expect(contentType(json.rawHeaders)).toEqual(['Content-Type', 'Application/JSON; charset=UTF-8']);
    expect(JSON.parse(json.body.toString('utf8')).object).toBe('chat.completion');
  });
});

describe('gzip', () => {
  it.each([
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ] as const)('compresses the stream with %s although the client asked for identity', async (encoding, decode) => {
    emu.queueFault({ kind: 'gzip', encoding });
    const res = await rawChat(emu, streamAsk);
    expect([res.status, res.headers['content-encoding'], res.headers['content-type']]).toEqual([200, encoding, 'text/event-stream; charset=utf-8']);
    const text = decode(res.body).toString('utf8');
    expect(ssePayloads(text).at(-1)).toBe('[DONE]');
    expect(joinDeltas(sseChunks(text), 'content')).toBe('我没有看到图片。提示：“hello”');
  });

  it('compresses a JSON answer and an error, with the compressed Content-Length', async () => {
    emu.queueFault({ kind: 'gzip' });
    const res = await rawChat(emu, ask, {});
    expect([res.headers['content-encoding'], res.headers['content-length']]).toEqual(['gzip', String(res.body.length)]);
    expect(JSON.parse(gunzipSync(res.body).toString('utf8')).object).toBe('chat.completion');
    emu.queueFault({ kind: 'gzip' });
    const err = await rawChat(emu, { ...ask, model: 'kimi-k2.5' });
    expect(err.status).toBe(404);
    expect(JSON.parse(gunzipSync(err.body).toString('utf8')).error.type).toBe('resource_not_found_error');
  });

  it('labels the body x-weird, an encoding no client can decode', async () => {
    emu.queueFault({ kind: 'gzip', encoding: 'x-weird' });
    const res = await rawChat(emu, ask);
    expect(res.headers['content-encoding']).toBe('x-weird');
    expect(() => JSON.parse(res.body.toString('utf8'))).toThrow();
    expect(res.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('redirect', () => {
  it.each([
    [301, undefined, 'Moved Permanently'],
    [302, '/v1/chat/completions', 'Found'],
    [307, 'https://api.moonshot.ai/v1/chat/completions', 'Temporary Redirect'],
    [308, '/v1/', 'Permanent Redirect'],
  ] as const)('answers %i with a Location before reading the body', async (status, location, text) => {
    const e = await emulator();
    e.queueFault({ kind: 'redirect', status, ...(location ? { location } : {}) });
    // The body is announced but never sent: the answer can only come if the server does not wait for it.
    const res = await new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${e.baseUrl}/chat/completions`,
        {
          method: 'POST',
          headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'content-length': '10000000' },
        },
        (r) => {
          let body = '';
          r.on('data', (b: Buffer) => (body += b.toString('utf8')));
          r.on('end', () => {
            resolve({ status: r.statusCode ?? 0, location: r.headers.location, body });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(res.status).toBe(status);
    expect(res.location).toBe(location ?? `${e.baseUrl}/chat/completions`);
    expect(res.body).toContain(`<title>${status} ${text}</title>`);
    expect(e.chatRequests()[0]?.bodyBytes).toBe(0);
    expect((await chat(e, ask)).status).toBe(200);
  });
});
