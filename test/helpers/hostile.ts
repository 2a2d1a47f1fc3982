// The hostile world of the state tests (test/e2e/state-*.test.ts): the real bin with stdout or
// stderr on /dev/full, a file size limit (prlimit --fsize: the disk refuses a write as a full one
// would), a fresh KIMI_VISION_HOME; and what every case must hold afterwards.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { BIN, ROOT, stripAnsi, type Result } from './cli.js';

const KEY = 'sk-state-hostile-5e5e5e';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the system's temporary folder, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface Run {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: Buffer | string;
  /** Where stdout / stderr go: a pipe read by the test, or /dev/full (every write: ENOSPC). */
  stdout?: 'pipe' | 'full';
  stderr?: 'pipe' | 'full';
  /** Largest file the run may write, in bytes (prlimit --fsize): a write beyond it fails (EFBIG). */
  fileSizeLimit?: number;
}

/** A fresh KIMI_VISION_HOME (config, state and cache in one folder), talking to `baseUrl`. */
export function hostileHome(baseUrl: string): { dir: string; env: Record<string, string> } {
  const dir = tempDir('kv-hostile-');
  return { dir, env: { KIMI_VISION_HOME: dir, MOONSHOT_BASE_URL: baseUrl, MOONSHOT_API_KEY: KEY } };
}

export function kv(args: string[], o: Run = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const full = (which: 'pipe' | 'full' | undefined) => (which === 'full' ? openSync('/dev/full', 'w') : 'pipe');
    const out = full(o.stdout);
    const err = full(o.stderr);
    const argv = [process.execPath, BIN, ...args];
    const [cmd, ...rest] = o.fileSizeLimit !== undefined ? ['prlimit', `--fsize=${o.fileSizeLimit}`, ...argv] : argv;
    const child = spawn(cmd!, rest, {
      cwd: o.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...o.env },
      stdio: ['pipe', out, err],
    });
    for (const fd of [out, err]) if (typeof fd === 'number') closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: stripAnsi(stderr) }));
    child.stdin?.end(o.stdin ?? '');
  });
}

/** Every file under a folder, recursively (names relative to it). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** What kimi-vision left in a TMPDIR (Node keeps its compile cache there too). */
export const ours = (tmp: string) => readdirSync(tmp).filter((n) => n !== 'node-compile-cache');

/** What every case must hold: a documented exit code, a message, no trace, nothing half-written left. */
export function clean(r: Result, dirs: string[]): void {
  expect([0, 2, 3, 4, 5, 6, 74, 75]).toContain(r.code);
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/internal error|\n\s+at \S+ \(|TypeError|network error/);
  for (const dir of dirs)
    expect(
      filesUnder(dir).filter((f) => /\.tmp$|\.lock(\.break)?$/.test(f)),
      dir,
    ).toEqual([]);
}
