// The client's requests under one caller signal (a --each run's): aborting it stops every request
// under way, before or after its answer started, and however many requests it sees the signal
// carries one abort listener (one per request kept each request's objects alive in V8's young
// generation, and a long run's memory grew with its length).
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MoonshotClient } from '../../src/api/client.js';
import { useEmulator } from '../helpers/emulator.js';

const emu = useEmulator({ splitWrites: false });

const body = (model = 'kimi-k2.6') => {
  const text = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe the image.' }] }] });
  return {
    bytes: Buffer.byteLength(text),
    chunks: async function* () {
      yield text;
    },
  };
};

function client(signal: AbortSignal): MoonshotClient {
  return new MoonshotClient({ baseUrl: emu.baseUrl, apiKey: 'sk-test', env: {}, maxAttempts: 1, signal });
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('requests under one caller signal', () => {
  it('carry one abort listener on it, however many are under way or done', async () => {
    emu.reset();
    emu.set({ firstByteDelayMs: 300 });
    const stop = new AbortController();
    const c = client(stop.signal);
    try {
      const pending = Promise.all(Array.from({ length: 8 }, () => c.chat(body(), true, { buffered: true })));
      await waitFor(() => emu.inFlight === 8);
      expect(emu.inFlight).toBe(8);
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
      await pending;
      emu.set({ firstByteDelayMs: 0 });
      for (let i = 0; i < 20; i++) await c.chat(body(), true, { buffered: true });
      expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(1);
    } finally {
      emu.set({ firstByteDelayMs: 0 });
      await c.close();
    }
  });

  it.each([
    ['while the answer is awaited', { firstByteDelayMs: 10_000 }],
    ['while the answer streams', { chunkDelayMs: 2_000 }],
  ])('stop at once when it aborts %s: interrupted, and the server sees the connections close', async (_when, delays) => {
    emu.reset();
    emu.set({ firstByteDelayMs: 0, chunkDelayMs: 0, ...delays });
    const stop = new AbortController();
    const c = client(stop.signal);
    try {
      const pending = Array.from({ length: 3 }, () => c.chat(body(), true, { buffered: true }));
      await waitFor(() => emu.inFlight === 3);
      const started = performance.now();
      stop.abort('SIGINT');
      for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'interrupted' });
      await waitFor(() => emu.inFlight === 0);
      expect(emu.inFlight).toBe(0);
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      emu.set({ firstByteDelayMs: 0, chunkDelayMs: 0 });
      await c.close();
    }
  });
});
