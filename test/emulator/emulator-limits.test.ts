// The emulator's refusals and failures: auth, quota, rate limits, body size, faults, concurrency.

import { afterAll, describe, expect, it } from 'vitest';
import { chat, closeAll, emulator, get, sseChunks, ssePayloads, waitFor } from './testkit.js';

afterAll(closeAll);

const ask = { model: 'kimi-k2.6', messages: [{ role: 'user', content: 'hello' }] };
const streamAsk = { ...ask, stream: true };

describe('auth, balance and models per key', () => {
  it('answers 401 without a key, with an empty one, and with a key not in `keys`', async () => {
    const e = await emulator({ keys: { good: {} } });
    for (const auth of [undefined, '', 'Bearer ', 'Bearer bad']) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth !== undefined) headers.authorization = auth;
      const res = await fetch(`${e.baseUrl}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(ask) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.type).toBe('invalid_authentication_error');
      expect(res.headers.get('msh-request-id')).toBeTruthy();
    }
    expect((await chat(e, ask, 'good')).status).toBe(200);
    expect((await get(e, '/models', 'bad')).status).toBe(401);
  });

  it('restricts a key to its models: others are 404 and not listed', async () => {
    const e = await emulator({ keys: { new: { models: ['kimi-k3.1-pro'] } } });
    const list = (await (await get(e, '/models', 'new')).json()) as any;
    expect(list.data.map((m: any) => m.id)).toEqual(['kimi-k3.1-pro']);
    const res = await chat(e, ask, 'new');
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.message).toBe('Not found the model kimi-k2.6 or Permission denied');
    expect((await chat(e, { ...ask, model: 'kimi-k3.1-pro' }, 'new')).status).toBe(200);
  });

  it('reports the balance and refuses chat with 429 exceeded_current_quota_error at 0', async () => {
    const e = await emulator();
    expect(await (await get(e, '/users/me/balance')).json()).toEqual({
      code: 0,
      data: { available_balance: 49.58, voucher_balance: 46.58, cash_balance: 3 },
      scode: '0x0',
      status: true,
    });
    e.set({ balance: 0, retryAfterHeader: true });
    const res = await chat(e, ask);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    const body = (await res.json()) as any;
    expect(body.error.type).toBe('exceeded_current_quota_error');
    expect(body.error.message).toMatch(/^Your account org-[0-9a-f]{32} <ak-[0-9a-z]{20}> is suspended due to insufficient balance/);
    expect(((await (await get(e, '/users/me/balance')).json()) as any).data.available_balance).toBe(0);
  });
});

describe('rate limits', () => {
  it('answers 429 rate_limit_reached_error past the RPM, saying after how many seconds', async () => {
    const e = await emulator({ rpmLimit: 2, retryAfterHeader: true });
    expect((await chat(e, ask)).status).toBe(200);
    expect((await chat(e, ask)).status).toBe(200);
    const res = await chat(e, ask);
    expect(res.status).toBe(429);
    const body = (await res.json()) as any;
    expect(body.error.type).toBe('rate_limit_reached_error');
    const m = /^Your account org-[0-9a-f]{32}<ak-[0-9a-z]{20}> request reached organization max RPM: 2, please try again after (\d+) seconds$/.exec(body.error.message);
    expect(m).not.toBeNull();
    const seconds = Number(m?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(res.headers.get('retry-after')).toBe(String(seconds));
    e.reset();
    expect((await chat(e, ask)).status).toBe(200);
  });

  it('tracks requests in flight and their peak', async () => {
    const e = await emulator();
    for (let i = 0; i < 3; i += 1) e.queueFault({ kind: 'stall-headers' });
    const abort = new AbortController();
    const pending = [1, 2, 3].map(() =>
      fetch(`${e.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify(ask), signal: abort.signal }).catch(() => undefined),
    );
    await waitFor(() => e.inFlight === 3);
    expect(e.peakInFlight).toBe(3);
    abort.abort();
    await Promise.all(pending);
    await waitFor(() => e.inFlight === 0);
    expect(e.peakInFlight).toBe(3);
    await Promise.all([chat(e, ask), chat(e, ask)]);
    e.reset();
    expect([e.peakInFlight, e.requests.length]).toEqual([0, 0]);
  });

  it('counts requests in flight and refuses more than maxConcurrency', async () => {
    const e = await emulator({ maxConcurrency: 2 });
    e.queueFault({ kind: 'stall-headers' });
    e.queueFault({ kind: 'stall-headers' });
    const abort = new AbortController();
    const stalled = [chat(e, ask), chat(e, ask)].map((p) => p.catch(() => undefined));
    await waitFor(() => e.inFlight === 2 && e.chatRequests().every((r) => r.bodyBytes > 0));
    const res = await fetch(`${e.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify(ask),
      signal: abort.signal,
    });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.message).toMatch(
      /^Your account org-[0-9a-f]{32}<ak-[0-9a-z]{20}> request reached max organization concurrency: 2, please try again after 1 seconds$/,
    );
    expect(e.peakInFlight).toBe(3);
    await e.close();
    await Promise.all(stalled);
    expect(e.inFlight).toBe(0);
  });

  it('fails a seeded fraction of requests, the same way every run', async () => {
    const statuses = async (): Promise<number[]> => {
      const e = await emulator({ randomFailures: { retryable: 0.3, fatal: 0.1, seed: 42 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i += 1) out.push((await chat(e, ask)).status);
      return out;
    };
    const first = await statuses();
    expect(await statuses()).toEqual(first);
    expect(first.some((s) => s !== 200)).toBe(true);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(first.every((s) => [200, 400, 429, 500, 503].includes(s))).toBe(true);
  });
});

describe('body size', () => {
  it('answers 413 to a streamed body just over 100 MB', async () => {
    const e = await emulator();
    const limit = 100 * 1024 * 1024;
    const head = Buffer.from('{"model":"kimi-k2.6","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,');
    let sent = 0;
    const total = limit + 1;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) {
          controller.enqueue(new Uint8Array(head));
          sent = head.length;
          return;
        }
        const n = Math.min(4 * 1024 * 1024, total - sent);
        if (n <= 0) {
          controller.close();
          return;
        }
        controller.enqueue(new Uint8Array(n).fill(0x41));
        sent += n;
      },
    });
    const res = await fetch(`${e.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.type).toBe('invalid_request_error');
    expect(e.chatRequests()[0]?.bodyBytes).toBeGreaterThan(limit);
  });
});

describe('faults', () => {
  it('resets the connection before any response', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'reset' });
    await expect(chat(e, ask)).rejects.toThrow();
    expect((await chat(e, ask)).status).toBe(200);
    expect(e.chatRequests().map((r) => r.status)).toEqual([undefined, 200]);
    expect(e.inFlight).toBe(0);
  });

  it('resets mid-stream after N events', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'reset-mid-stream', afterEvents: 2 });
    const res = await chat(e, streamAsk);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parts.push(value);
        }
      })(),
    ).rejects.toThrow();
    expect(ssePayloads(Buffer.concat(parts).toString('utf8')).length).toBe(2);
  });

  it('sends an error event and ends without [DONE]', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'error-event', afterEvents: 1, type: 'server_error', message: 'boom' });
    const payloads = ssePayloads(await (await chat(e, streamAsk)).text());
    expect(payloads.length).toBe(2);
    expect(JSON.parse(payloads[1] ?? '')).toEqual({ error: { type: 'server_error', message: 'boom' } });
  });

  it('inserts broken JSON and carries on to [DONE]', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'malformed-json', afterEvents: 1 });
    const payloads = ssePayloads(await (await chat(e, streamAsk)).text());
    expect(payloads[1]).toBe('{"id":');
    expect(payloads.at(-1)).toBe('[DONE]');
  });

  it('answers 200 text/html for non-sse', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'non-sse' });
    const res = await chat(e, streamAsk);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<html>');
  });

  it('answers queued errors in order with their headers, then recovers', async () => {
    const e = await emulator({ retryAfterHeader: true });
    e.queueFault({ kind: 'error', status: 503, type: 'server_error', message: 'busy' });
    e.queueFault({ kind: 'error', status: 429, type: 'engine_overloaded_error', message: 'over', headers: { 'retry-after': '7' } });
    const a = await chat(e, ask);
    expect([a.status, a.headers.get('retry-after'), await a.json()]).toEqual([503, '1', { error: { message: 'busy', type: 'server_error' } }]);
    const b = await chat(e, ask);
    expect([b.status, b.headers.get('retry-after')]).toEqual([429, '7']);
    const c = await chat(e, streamAsk);
    expect(c.status).toBe(200);
    expect(sseChunks(await c.text()).length).toBeGreaterThan(2);
    expect(e.chatRequests().map((r) => r.status)).toEqual([503, 429, 200]);
  });

  it('stalls mid-stream until the client gives up', async () => {
    const e = await emulator();
    e.queueFault({ kind: 'stall-mid-stream', afterEvents: 1 });
    const abort = new AbortController();
    const res = await fetch(`${e.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify(streamAsk),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += Buffer.from((await reader.read()).value ?? []).toString('utf8');
    expect(ssePayloads(text).length).toBe(1);
    abort.abort();
    await waitFor(() => e.inFlight === 0);
  });
});
