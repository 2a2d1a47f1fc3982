// `npm run emulator`: its options, its output, and that stopping npm stops the server.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { waitFor } from './testkit.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = ['--import', 'tsx', 'test/emulator/main.ts'];

/** The first line of `child`'s stdout that is a base URL (npm prints its banner first). */
function baseUrlOf(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (l) => {
      if (/^http:\/\/127\.0\.0\.1:\d+\/v1$/.test(l)) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing its URL`)));
  });
}

/** `promise`, or a failure after `ms` (so a process that never exits fails the test, not its timeout). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** True once no process is left in the process group `pgid`. */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('npm run emulator', () => {
  it('prints its options for --help and exits 0', () => {
    const r = spawnSync(process.execPath, [...MAIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^Usage: npm run emulator -- \[options\]\n/);
    for (const option of ['--port', '--latency', '--chunk-delay', '--fault', '--retry-after-date', '--not-found', '--help']) {
      expect(r.stdout).toContain(option);
    }
    expect(r.stdout).toContain('endless-stream');
  });

  it.each([
    [['--bogus'], /^emulator: Unknown option '--bogus'/],
    [['serve'], /^emulator: Unexpected argument 'serve'/],
    [['--latency', 'soon'], /^emulator: --latency must be a number >= 0, got soon\n/],
    [['--fault', 'nope'], /^emulator: unknown fault nope; one of: server-error, /],
    [['--not-found', 'html'], /^emulator: --not-found must be text or json, got html\n/],
  ])('exits 2 with a message for %j', (args, message) => {
    const r = spawnSync(process.execPath, [...MAIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Try --help for the options\.\n$/);
  });

  it('prints only the base URL, logs requests on stderr, and applies --fault to every chat request', async () => {
    const child = spawn(process.execPath, [...MAIN, '--latency', '0', '--fault', 'json-error-200'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    const url = await baseUrlOf(child);
    const ask = { method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify({ model: 'kimi-k2.6', messages: [{ role: 'user', content: 'hi' }] }) };
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${url}/chat/completions`, ask);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).error.type).toBe('rate_limit_reached_error');
    }
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stdout).toBe(`${url}\n`);
    expect(stderr).toMatch(/POST \/v1\/chat\/completions 200 \d+ms model=kimi-k2\.6 images=0\n.*POST \/v1\/chat\/completions 200/s);
  }, 20_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops the server and every process under npm when npm gets %s',
    async (signal) => {
      // Its own process group, so that what npm started can be found (and cleaned up) afterwards.
      const npm = spawn('npm', ['run', 'emulator'], { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const pgid = npm.pid ?? 0;
      try {
        const url = await baseUrlOf(npm);
        expect((await fetch(`${url}/models`, { headers: { authorization: 'Bearer k' } })).status).toBe(200);
        const exited = new Promise<[number | null, string | null]>((resolve) => npm.once('exit', (c, s) => resolve([c, s])));
        npm.kill(signal); // to npm alone, as a supervisor or `kill <pid>` would send it
        expect(await within(exited, 10_000, 'npm exits')).toEqual([0, null]);
        await waitFor(() => groupGone(pgid), 10_000);
        await expect(fetch(`${url}/models`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
      } finally {
        if (!groupGone(pgid)) process.kill(-pgid, 'SIGKILL');
      }
    },
    30_000,
  );
});
