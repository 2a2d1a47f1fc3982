// A server that misbehaves (issue 12), for describe: the real bin against each hostile mode of the
// emulator. What an answer says went wrong, and everything read from the network bounded: streams
// that never end, error bodies that never end, headers over the limit, downloads that never finish.
// The README's Reliability table has a row for each case here.
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined });
});

const KEY = 'sk-hostile-5a5a5a5a';
const small = 'fixtures/small.png';
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['describe', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });

/** No internal error, no stack trace, never the key. */
function clean(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.code).not.toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|Unhandled/);
  expect(r.stdout + r.stderr).not.toContain(KEY);
}

describe('HTTP 200 with a JSON error body', () => {
  it.each([
    ['streamed', []],
    ['not streamed', ['--no-stream']],
  ])('%s: it is that API error, with its message and exit code (400 -> 5), not an empty answer', async (_name, extra) => {
    emu.queueFault({ kind: 'json-error-200', type: 'invalid_request_error', message: 'Invalid request: the gateway says no' });
    const r = await kv([small, ...extra]);
    clean(r);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refused the request for kimi-k2\.6 \(400 invalid_request_error: Invalid request: the gateway says no\)/);
    expect(r.stderr).not.toMatch(/empty answer/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('a retryable type (rate limit) is retried like the 429 it stands for, then answered', async () => {
    emu.queueFault({ kind: 'json-error-200', type: 'rate_limit_reached_error', message: 'max RPM: 3, please try again after 1 seconds' });
    emu.set({ reply: () => 'Answered after the limit.' });
    const r = await kv([small]);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Answered after the limit.\n');
    expect(r.stderr).toMatch(/attempt 1 failed \(max RPM: 3.*retrying in 1\.00 s/);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('exceeded_current_quota_error with 200 is still the exhausted balance: exit 6, never retried', async () => {
    emu.queueFault({ kind: 'json-error-200', type: 'exceeded_current_quota_error', message: 'suspended due to insufficient balance' });
    const r = await kv([small]);
    clean(r);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/balance is exhausted/);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('a stream that never ends', () => {
  it('content forever: stopped at the limit --max-tokens sets, the text so far kept on stdout, exit 75, not retried', async () => {
    emu.queueFault({ kind: 'endless-stream' });
    const r = await kv([small, '--max-tokens', '100']);
    clean(r);
    expect(r.code).toBe(75);
    expect(r.stdout).toMatch(/^(and so on, ){100,}/);
    expect(r.stdout.length).toBeLessThanOrEqual(65_536 + 16);
    expect(r.stderr).toMatch(/the answer from 127\.0\.0\.1:\d+ did not end: it went past [\d,]+ (events|characters), more than 100 output tokens \(--max-tokens 100\) can be/);
    expect(r.stderr).toMatch(/The answer above is incomplete\./);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it("reasoning forever: stopped at the model's output limit, nothing on stdout, exit 75, not retried", async () => {
    emu.queueFault({ kind: 'endless-stream', deltas: 'reasoning' });
    const r = await kv([small, '-m', 'kimi-k3']);
    clean(r);
    expect(r.code).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/did not end: it went past 2,097,152 characters, more than 131,072 output tokens \(kimi-k3's output limit\) can be/);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('an error body that never ends', () => {
  it('400: read up to 64 KiB, reported by its type and the start of its message, exit 5, at once', async () => {
    emu.queueFault({ kind: 'endless-error-body', status: 400 });
    const started = Date.now();
    const r = await kv([small]);
    clean(r);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/\(400 invalid_request_error: the error goes on and on .*… \(an error body over 64 KiB, cut\)\)/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('500: cut the same way, and retried like any server error', async () => {
    emu.queueFault({ kind: 'endless-error-body', status: 500 });
    emu.set({ reply: () => 'Second time lucky.' });
    const r = await kv([small]);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Second time lucky.\n');
    expect(r.stderr).toMatch(/attempt 1 failed \(the error goes on .*an error body over 64 KiB, cut\)\); retrying/);
    expect(emu.chatRequests()).toHaveLength(2);
  });
});

describe('response headers over the limit', () => {
  it('64 KiB of headers: "sent headers larger than 16 KiB", exit 75, not retried', async () => {
    emu.queueFault({ kind: 'huge-headers' });
    const r = await kv([small]);
    clean(r);
    expect(r.code).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ sent headers larger than 16 KiB, more than kimi-vision reads/);
    expect(r.stderr).not.toMatch(/network error|retrying/);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('URL inputs: the limit is on the whole download', () => {
  it.each([
    ['trickled slower than the limit', 'trickle', { everyMs: 100, seconds: 60 }],
    ['endless', 'endless', { everyMs: 50 }],
  ] as const)('%s: exit 3 naming the URL once KIMI_VISION_DOWNLOAD_TIMEOUT has passed, nothing sent', async (_name, mode, pace) => {
    const url = emu.downloadUrl('small.png', mode, pace);
    const started = Date.now();
    const r = await kv([url], { env: { KIMI_VISION_DOWNLOAD_TIMEOUT: '1' } });
    clean(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${url}: not downloaded within 1 s (the limit for a whole download)`);
    expect(r.stderr).toMatch(/KIMI_VISION_DOWNLOAD_TIMEOUT/);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(emu.chatRequests()).toHaveLength(0);
  });

  it('a download within the limit is described', async () => {
    const r = await kv([emu.downloadUrl('small.png', 'trickle', { everyMs: 20, seconds: 0.3 })], { env: { KIMI_VISION_DOWNLOAD_TIMEOUT: '10' } });
    clean(r);
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('a limit that is not a number of seconds is a usage error', async () => {
    const r = await kv([emu.downloadUrl('small.png')], { env: { KIMI_VISION_DOWNLOAD_TIMEOUT: 'soon' } });
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KIMI_VISION_DOWNLOAD_TIMEOUT must be a number of seconds above 0 \(it is "soon"\)/);
  });
});
