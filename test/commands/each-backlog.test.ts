// describe --each in-process: a slow first image does not let the run get arbitrarily far ahead of
// it (every later result would be held in memory until it is out).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { Emulator } from '../emulator/types.js';
import { FIXTURES, runInProcess } from '../helpers/cli.js';

let emu: Emulator;
let dir: string;
const COUNT = 300;
const WINDOW = 256; // src/each/run.ts: max(256, 16 x -j)

beforeAll(async () => {
  emu = await startEmulator({ splitWrites: false });
  dir = mkdtempSync(path.join(tmpdir(), 'kv-backlog-'));
  const png = readFileSync(path.join(FIXTURES, 'small.png'));
  // Bytes after the PNG's end make each file distinct (the emulator tells them apart by hash).
  for (let i = 0; i < COUNT; i++) writeFileSync(path.join(dir, `img-${String(i).padStart(4, '0')}.png`), Buffer.concat([png, Buffer.from(`#${i}`)]));
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('describe --each with a slow first image', () => {
  it(`starts no image more than ${WINDOW} past the first result not yet out, and still describes them all`, async () => {
    const env = { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test-backlog' };
    emu.reset();
    emu.queueFault({ kind: 'delay', ms: 2_000 }); // the first request: image 0's
    const r = await runInProcess(['describe', '--each', '.', '-j', '4', '--format', 'jsonl', '-q'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(COUNT);
    const requests = emu.chatRequests();
    const first = requests[0];
    expect(first?.endedAt).toBeDefined();
    const startedMeanwhile = requests.filter((q) => q.startedAt < (first?.endedAt ?? 0)).length;
    expect(startedMeanwhile).toBeGreaterThan(WINDOW / 2); // the others went on meanwhile
    expect(startedMeanwhile).toBeLessThanOrEqual(WINDOW);
  });
});
