// bin/kimi-vision.js turns on Node's own compile cache (module.enableCompileCache, Node >= 22.1):
// the first run of the CLI fills it, later runs read it, NODE_DISABLE_COMPILE_CACHE=1 turns it off,
// and a damaged cache never breaks a run. The cache folder is Node's: NODE_COMPILE_CACHE names it.
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const dryRun = ['describe', '--dry-run', 'fixtures/small.png'];

describe("Node's compile cache", () => {
  it('the first run fills it with the CLI, and the next run works from it', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'kv-compile-'));
    const first = await runBin(dryRun, { env: { NODE_COMPILE_CACHE: cache } });
    expect(first.code).toBe(0);
    const cached = filesUnder(cache);
    expect(cached.length).toBeGreaterThan(0);
    const again = await runBin(dryRun, { env: { NODE_COMPILE_CACHE: cache } });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off: nothing is written', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'kv-compile-'));
    const r = await runBin(dryRun, { env: { NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fixtures\/small\.png\timage\/png\t/m);
    expect(filesUnder(cache)).toEqual([]);
  });

  it('a damaged cache file does not break the run', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'kv-compile-'));
    const clean = await runBin(dryRun, { env: { NODE_COMPILE_CACHE: cache } });
    for (const f of filesUnder(cache)) writeFileSync(f, 'not a compile cache');
    const r = await runBin(dryRun, { env: { NODE_COMPILE_CACHE: cache } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(clean.stdout);
    expect(r.stderr).toBe(clean.stderr);
  });
});
