// `npm run demo`, as a newcomer runs it: the emulator started for them, the fixtures described, the
// estimate and usage on stderr, the answer on stdout, and nothing left running or written afterwards.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolatedHome, ROOT, stripAnsi, type Result } from '../helpers/cli.js';

function runDemo(env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: stripAnsi(stderr) }));
  });
}

/** Resolves with the error code of a connection to the port (ECONNREFUSED once nothing listens). */
function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Every file and folder under dir, relative to it. */
const tree = (dir: string) => readdirSync(dir, { recursive: true });

describe('npm run demo', () => {
  it('describes the fixtures against its own emulator, then stops it and leaves nothing behind', { timeout: 60_000 }, async () => {
    const home = isolatedHome();
    const scratch = mkdtempSync(path.join(tmpdir(), 'kv-demo-test-'));
    const tmp = path.join(scratch, 'tmp');
    const npmDir = path.join(scratch, 'npm');
    mkdirSync(tmp);
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(MOONSHOT_|KIMI_VISION_|npm_)/i.test(e[0])));
    // npm's own cache and logs outside HOME, so that HOME shows what the demo wrote: nothing.
    const r = await runDemo({ ...env, ...home, TMPDIR: tmp, npm_config_cache: npmDir, npm_config_logs_max: '0', npm_config_update_notifier: 'false' });

    expect(r.code, r.stderr).toBe(0);
    // One answer on stdout, about the four PNG fixtures (one of them a JPEG by its bytes).
    expect(r.stdout).toMatch(/^我看到 4 张图片。Image 1: image\/jpeg, 207 bytes, 40x30\. .*Image 4: image\/png, 309 bytes, 32x24\. [^\n]*\n$/);
    expect(r.stderr).toMatch(/^4 images · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/m);
    expect(r.stderr).toMatch(/^[\d,]+ prompt \+ [\d,]+ completion tokens · ¥[\d.]+ · [\d.]+ s · session [\w-]+$/m);
    expect(r.stderr).not.toContain('sk-demo');

    const port = Number(/listens on http:\/\/127\.0\.0\.1:(\d+)\/v1/.exec(r.stderr)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await connectError(port)).toBe('ECONNREFUSED');
    // Its scratch folder is gone (tsx keeps its own compile caches in TMPDIR, as for every tsx run).
    expect(readdirSync(tmp).filter((name) => name.startsWith('kimi-vision-demo-'))).toEqual([]);
    expect(tree(home.HOME!)).toEqual([]);
  });
});
