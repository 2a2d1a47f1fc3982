// The fault matrix: every way the network or the API can fail, and what the user sees.
// Each case names the fault the emulator injects; the README's fault table mirrors this file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import { useEmulator } from '../helpers/emulator.js';
import { ROOT, runBin, signalWhenInFlight, type SpawnOptions } from '../helpers/cli.js';
import { startProxy } from '../helpers/proxy.js';

const TLS_DIR = path.join(ROOT, 'test', 'emulator', 'tls');
const CERT = path.join(TLS_DIR, 'cert.pem');
const tls = { key: readFileSync(path.join(TLS_DIR, 'key.pem')), cert: readFileSync(CERT) };

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, retryAfterHeader: false, splitWrites: true });
});

const KEY = 'sk-faults-0f0f0f0f';
const small = path.join('fixtures', 'small.png');
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['describe', small, ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
const LONG = 'This answer is long enough to be cut in the middle of it, after a few events have gone out.';

describe('transport faults', () => {
  it('DNS failure: exit 75, says the host cannot be resolved', async () => {
    const r = await runBin(['describe', small, '--max-attempts', '1'], { env: { MOONSHOT_BASE_URL: 'https://no-such-host.invalid/v1', MOONSHOT_API_KEY: KEY } });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/cannot resolve no-such-host\.invalid \(DNS\)/);
  });

  it('TLS with an unknown CA: exit 75 with the NODE_EXTRA_CA_CERTS hint, not retried; trusting the CA works', async () => {
    const secure = await startEmulator({ tls });
    try {
      const bad = await runBin(['describe', small], { env: { MOONSHOT_BASE_URL: secure.baseUrl, MOONSHOT_API_KEY: KEY } });
      expect(bad.code).toBe(75);
      expect(bad.stderr).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed \(\w+/);
      expect(bad.stderr).toMatch(/NODE_EXTRA_CA_CERTS/);
      expect(bad.stderr).not.toMatch(/retrying/);
      const good = await runBin(['describe', small], { env: { MOONSHOT_BASE_URL: secure.baseUrl, MOONSHOT_API_KEY: KEY, NODE_EXTRA_CA_CERTS: CERT } });
      expect(good.code).toBe(0);
      expect(secure.chatRequests()).toHaveLength(1);
    } finally {
      await secure.close();
    }
  });

  it('headers never arrive: --timeout gives up, retried, then exit 75', async () => {
    emu.queueFault({ kind: 'stall-headers' });
    emu.queueFault({ kind: 'stall-headers' });
    const r = await kv(['--timeout', '1', '--max-attempts', '2']);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/sent no answer within 1 s/);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('body stalls mid-stream: the printed text stays, stderr says it is incomplete, exit 75, not retried', async () => {
    emu.set({ reply: () => LONG, splitWrites: false });
    emu.queueFault({ kind: 'stall-mid-stream', afterEvents: 4 });
    const r = await kv(['--timeout', '1']);
    expect(r.code).toBe(75);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(LONG.startsWith(r.stdout.trimEnd())).toBe(true);
    expect(r.stderr).toMatch(/stalled for 1 s.*incomplete/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('connection reset before any answer: retried, and the answer arrives once', async () => {
    emu.queueFault({ kind: 'reset' });
    emu.set({ reply: () => 'After a reset.' });
    const r = await kv([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('After a reset.\n');
    expect(emu.chatRequests()).toHaveLength(2);
  });
});

describe('protocol faults', () => {
  it('malformed JSON after text was printed: exit 75, text kept, incomplete', async () => {
    emu.set({ reply: () => LONG, splitWrites: false });
    emu.queueFault({ kind: 'malformed-json', afterEvents: 4 });
    const r = await kv([]);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/not JSON.*|incomplete/);
    expect(LONG.startsWith(r.stdout.trimEnd())).toBe(true);
  });

  it('malformed JSON before any text: retried from scratch, the answer printed once', async () => {
    emu.set({ reply: () => 'Clean answer.' });
    emu.queueFault({ kind: 'malformed-json', afterEvents: 1 });
    const r = await kv([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Clean answer.\n');
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('an error event mid-stream maps by its type: overloaded -> 75, content_filter -> 5', async () => {
    emu.set({ reply: () => LONG, splitWrites: false });
    emu.queueFault({ kind: 'error-event', afterEvents: 3, type: 'engine_overloaded_error', message: 'The engine is currently overloaded' });
    const busy = await kv([]);
    expect(busy.code).toBe(75);
    expect(busy.stderr).toMatch(/overloaded/);
    emu.queueFault({ kind: 'error-event', afterEvents: 3, type: 'content_filter', message: 'high risk' });
    const filtered = await kv([]);
    expect(filtered.code).toBe(5);
    expect(filtered.stderr).toMatch(/content filter/);
  });

  it('HTTP 200 with an HTML body: exit 75 naming what came back', async () => {
    emu.queueFault({ kind: 'non-sse' });
    const r = await kv(['--max-attempts', '1']);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/answered with text\/html.* not the API's JSON/);
    expect(r.stdout).toBe('');
  });

  it('413 from the server: exit 3', async () => {
    emu.queueFault({ kind: 'error', status: 413, type: 'invalid_request_error', message: 'request body too large' });
    const r = await kv([]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/too large for the API/);
  });
});

describe('retry policy', () => {
  it('429 engine_overloaded_error is retried with backoff', async () => {
    emu.queueFault({ kind: 'error', status: 429, type: 'engine_overloaded_error', message: 'The engine is currently overloaded, please try again later' });
    const r = await kv([]);
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it.each([500, 502, 503])('%i without Retry-After is retried with backoff', async (status) => {
    emu.queueFault({ kind: 'error', status, type: 'server_error', message: 'oops' });
    const r = await kv([]);
    expect(r.code).toBe(0);
    const [a, b] = emu.chatRequests().map((q) => q.startedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(300); // 500 ms less at most 25% jitter
  });

  it('503 with Retry-After waits what the header says', async () => {
    emu.queueFault({ kind: 'error', status: 503, type: 'server_error', message: 'busy', headers: { 'retry-after': '2' } });
    const r = await kv([]);
    expect(r.code).toBe(0);
    const [a, b] = emu.chatRequests().map((q) => q.startedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(1950);
    expect(r.stderr).toMatch(/retrying in 2\.00 s/);
  });

  it('Retry-After as an HTTP date is a wall-clock time: a date 4 s ahead waits at most 4 s', async () => {
    // HTTP dates have whole seconds, and the CLI's start takes some of the time: 0.5 to 4 s are left.
    const date = new Date(Date.now() + 4000).toUTCString();
    emu.queueFault({ kind: 'error', status: 503, type: 'server_error', message: 'busy', headers: { 'retry-after': date } });
    const r = await kv([]);
    expect(r.code).toBe(0);
    const waited = /retrying in (\d+\.\d+) s/.exec(r.stderr);
    expect(Number(waited?.[1])).toBeGreaterThan(0.5);
    expect(Number(waited?.[1])).toBeLessThanOrEqual(4);
    const [a, b] = emu.chatRequests().map((q) => q.startedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(Number(waited?.[1]) * 1000 - 50);
  });

  it('a Retry-After of an hour: gives up at once with a clear message', async () => {
    emu.queueFault({ kind: 'error', status: 429, type: 'rate_limit_reached_error', message: 'slow down', headers: { 'retry-after': '3600' } });
    const started = Date.now();
    const r = await kv([]);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/asks to wait 3600 s; not waiting that long/);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('proxies', () => {
  it('HTTP_PROXY carries plain-http requests; NO_PROXY bypasses it', async () => {
    const proxy = await startProxy();
    try {
      const via = await kv([], { env: { HTTP_PROXY: proxy.url } });
      expect(via.code).toBe(0);
      // undici tunnels plain http through the proxy too (CONNECT), as curl does with -p
      const seen = () => [...proxy.connects, ...proxy.forwards];
      expect(seen()).toEqual([`127.0.0.1:${emu.port}`]);
      const direct = await kv([], { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
      expect(direct.code).toBe(0);
      expect(seen()).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('HTTPS_PROXY tunnels https with CONNECT', async () => {
    const secure = await startEmulator({ tls });
    const proxy = await startProxy();
    try {
      const r = await runBin(['describe', small], {
        env: { MOONSHOT_BASE_URL: secure.baseUrl, MOONSHOT_API_KEY: KEY, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: CERT },
      });
      expect(r.code).toBe(0);
      expect(proxy.connects).toEqual([`127.0.0.1:${secure.port}`]);
      expect(secure.chatRequests()).toHaveLength(1);
    } finally {
      await proxy.close();
      await secure.close();
    }
  });
});

describe('signals and pipes', () => {
  it('SIGTERM aborts the request and exits 143', async () => {
    emu.queueFault({ kind: 'stall-headers' });
    const r = await kv([], {
      onSpawn: signalWhenInFlight(emu, 'SIGTERM'),
    });
    expect(r.code).toBe(143);
  });

  it('a reader that goes away (| head -1) ends it quietly, without a stack trace', async () => {
    emu.set({ reply: () => `first line\n${'more text '.repeat(2000)}`, chunkDelayMs: 2, splitWrites: false });
    const r = await kv([], {
      onSpawn: (child) => {
        child.stdout!.once('data', () => child.stdout!.destroy());
      },
    });
    emu.set({ chunkDelayMs: 0 });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/Error|at .*\.js:\d+/);
  });
});
