// A server that misbehaves on the wire (issue 12), for describe: server-sent events as the
// specification has them, Content-Type in any case, a Content-Encoding nobody asked for, redirects.
// The real bin against the emulator's hostile modes; the README's Reliability table has their rows.
import { beforeEach, describe, expect, it } from 'vitest';
import type { HostileEncoding, LineEnding } from '../emulator/types.js';
import { useEmulator } from '../helpers/emulator.js';
import { runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: () => ANSWER });
});

const KEY = 'sk-hostile-wire-6b6b6b6b';
const ANSWER = 'A small test image, 32 by 24 pixels, with a plain colour.';
const small = 'fixtures/small.png';
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['describe', small, ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });

function clean(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.code).not.toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|Unhandled/);
  expect(r.stdout + r.stderr).not.toContain(KEY);
}

describe('server-sent events as the specification has them', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as [string, LineEnding][])('%s line endings with event: ping, id:, foo:, a bare keepalive, retry: abc and comments: the whole answer, exit 0', async (_name, lineEnding) => {
    emu.queueFault({ kind: 'sse-odd-lines', lineEnding });
    const r = await kv([]);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
    expect(r.stderr).not.toMatch(/16 MiB|not JSON|ended early/);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('Content-Type in another case', () => {
  it.each([
    ['a stream (Text/Event-Stream; Charset=UTF-8)', []],
    ['a whole answer (Application/JSON; charset=UTF-8)', ['--no-stream']],
  ])('%s is read as such', async (_name, extra) => {
    emu.queueFault({ kind: 'content-type-case' });
    const r = await kv(extra);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
    expect(emu.chatRequests()).toHaveLength(1); // read the first time, not retried until the fault was gone
  });
});

describe('a Content-Encoding the client did not ask for', () => {
  it('every request asks for identity', async () => {
    await kv([]);
    expect(emu.chatRequests()[0]?.headers['accept-encoding']).toBe('identity');
  });

  it.each([
    ['gzip', 'streamed', []],
    ['gzip', 'whole', ['--no-stream']],
    ['br', 'streamed', []],
    ['br', 'whole', ['--no-stream']],
  ] as [HostileEncoding, string, string[]][])('%s, %s: decoded, the answer printed', async (encoding, _how, extra) => {
    emu.queueFault({ kind: 'gzip', encoding });
    const r = await kv(extra);
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
    expect(r.stderr).not.toMatch(/retrying/);
    expect(emu.chatRequests()).toHaveLength(1); // decoded the first time, not retried until the fault was gone
  });

  it('a compressed error body is decoded too: its message and exit code', async () => {
    emu.queueFault({ kind: 'gzip' });
    const r = await kv(['-m', 'moonshot-v1-8k-vision-preview']);
    clean(r);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/model moonshot-v1-8k-vision-preview is unavailable \(retired 2026-08\).*404 resource_not_found_error/);
  });

  it('x-weird: refused by name, never "not JSON", exit 75, not retried', async () => {
    emu.queueFault({ kind: 'gzip', encoding: 'x-weird' });
    const r = await kv([]);
    clean(r);
    expect(r.code).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ answered with content encoding x-weird, which kimi-vision cannot read/);
    expect(r.stderr).not.toMatch(/not JSON|16 MiB/);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('a redirect', () => {
  it.each([301, 302, 303, 307, 308] as const)('%i to the same address: reported as a redirect naming the target, exit 2, not retried, not followed', async (status) => {
    emu.queueFault({ kind: 'redirect', status });
    const r = await kv([]);
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${emu.baseUrl} answered POST /chat/completions with a redirect (${status} `);
    expect(r.stderr).toContain(`to ${emu.baseUrl}/chat/completions; kimi-vision does not follow redirects`);
    expect(r.stderr).not.toMatch(/not JSON|retrying/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('to another base (relative Location): the message names it and the hint gives it as the base URL', async () => {
    emu.queueFault({ kind: 'redirect', status: 308, location: '/api/v2/chat/completions' });
    const r = await kv([]);
    clean(r);
    expect(r.code).toBe(2);
    const origin = new URL(emu.baseUrl).origin;
    expect(r.stderr).toContain(`with a redirect (308 Permanent Redirect) to ${origin}/api/v2/chat/completions;`);
    expect(r.stderr).toContain(`use it as the base URL: ${origin}/api/v2 (--base-url, MOONSHOT_BASE_URL`);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('credentials in the base URL or the Location are shown as ***', async () => {
    const withUser = emu.baseUrl.replace('http://', 'http://me:secret-pw@');
    emu.queueFault({ kind: 'redirect', status: 302, location: 'http://other:hidden-pw@127.0.0.1:1/v1/chat/completions' });
    const r = await kv([], { env: { MOONSHOT_BASE_URL: withUser } });
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/secret-pw|hidden-pw|\bme:|other:/);
    expect(r.stderr).toContain('http://***:***@127.0.0.1:1/v1/chat/completions');
    expect(r.stderr).toContain('use it as the base URL: http://127.0.0.1:1/v1 ');
  });
});
