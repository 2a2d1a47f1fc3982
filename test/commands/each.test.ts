// describe --each in-process (the HTTP client already loaded, so request starts are what the pace
// decides): the --rpm spacing as the server sees it, and the progress line on a terminal only.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { Emulator } from '../emulator/types.js';
import { FIXTURES, runInProcess } from '../helpers/cli.js';

let emu: Emulator;
let env: Record<string, string>;
beforeAll(async () => {
  emu = await startEmulator();
  env = { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test-in-process' };
  await runInProcess(['describe', '--each', path.join(FIXTURES, 'small.png'), '-q'], { env }); // loads the HTTP client once
});
const temps: string[] = [];
afterAll(async () => {
  await emu.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
  emu.set({ firstByteDelayMs: 0 });
});

function images(n: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-each-'));
  temps.push(dir);
  ['small.png', 'photo.jpg', 'screenshot.png', 'image.webp', 'anim.gif'].slice(0, n).forEach((f) => cpSync(path.join(FIXTURES, f), path.join(dir, f)));
  return dir;
}

describe('describe --each --rpm', () => {
  it('spaces request starts at least 60 / rpm seconds apart, whatever -j allows', async () => {
    const r = await runInProcess(['describe', '--each', '.', '--rpm', '300', '-j', '5', '-q'], { cwd: images(5), env });
    expect(r.code).toBe(0);
    const starts = emu
      .chatRequests()
      .map((q) => q.startedAt)
      .sort((a, b) => a - b);
    expect(starts).toHaveLength(5);
    // Started 200 ms apart (or more) at the client; each reaches the server a few ms to a few tens
    // of ms later, so one gap may look shorter, but the whole span cannot.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(120);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(4 * 200 - 60);
  });
});

describe('describe --each progress', () => {
  it('shows "n/N described, f failed, cost so far" on a terminal, and not elsewhere', async () => {
    emu.set({ firstByteDelayMs: 150 });
    const tty = await runInProcess(['describe', '--each', '.', '--format', 'jsonl'], { cwd: images(2), env, stderrTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/0\/2 described, 0 failed, ¥0\.00 so far/);
    expect(tty.stdout.trim().split('\n')).toHaveLength(2);
    const piped = await runInProcess(['describe', '--each', '.', '--format', 'jsonl'], { cwd: images(2), env, stderrTTY: false });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/so far/);
    expect(piped.stderr).toMatch(/^2 described, 0 failed · /m);
  });

  it('draws no spinner on a terminal of unknown width (0 columns), and still prints the totals', async () => {
    emu.set({ firstByteDelayMs: 150 });
    const r = await runInProcess(['describe', '--each', '.', '--format', 'jsonl'], { cwd: images(2), env, stderrTTY: true, stderrColumns: 0 });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/so far/);
    expect(r.stderr).toMatch(/^2 described, 0 failed · /m);
    expect(r.stderr.length).toBeLessThan(2000);
  });
});
