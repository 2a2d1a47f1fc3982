// bin/kimi-vision.js compiles dist/ with V8's code cache (Node 20 has no compile cache of its own):
// saved by the first run of a command, used by the next, rewritten when V8 rejects it, never shared
// with other users, and off with NODE_DISABLE_COMPILE_CACHE=1. KIMI_VISION_DEBUG=1 says which.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome, runBin } from '../helpers/cli.js';

const emu = useEmulator();
const cacheLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('debug: code cache'));

function cacheFiles(home: Record<string, string>): string[] {
  const root = path.join(home.XDG_CACHE_HOME as string, 'kimi-vision', 'v8');
  return readdirSync(root).flatMap((v) => readdirSync(path.join(root, v)).map((f) => path.join(root, v, f)));
}

describe('code cache', () => {
  it('the first run of a command saves it, the next one uses it; each command has its own', async () => {
    const home = isolatedHome();
    const env = { ...home, KIMI_VISION_DEBUG: '1' };
    const first = await runBin(['describe', '--dry-run', 'fixtures/small.png'], { env });
    expect(first.code).toBe(0);
    expect(cacheLines(first.stderr)).toEqual(['debug: code cache miss: kimi-vision.cjs']);
    const again = await runBin(['describe', '--dry-run', 'fixtures/photo.jpg'], { env });
    expect(again.code).toBe(0);
    expect(cacheLines(again.stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs']);
    expect(again.stdout).toMatch(/^fixtures\/photo\.jpg\timage\/jpeg\t/m);
    const models = await runBin(['models', '--offline'], { env });
    expect(models.code).toBe(0);
    expect(cacheLines(models.stderr)).toEqual(['debug: code cache miss: kimi-vision.cjs']);
    // Private: the folder is the owner's only, the files too (a cache is code that runs).
    const files = cacheFiles(home);
    expect(files.map((f) => path.basename(f).replace(/-\d+-\d+\.bin$/, '')).sort()).toEqual(['kimi-vision.describe', 'kimi-vision.models']);
    for (const f of files) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(f)).mode & 0o777).toBe(0o700);
    }
  });

  it('a send saves the CLI and undici with the V8 flags the next run starts with: both are hits then', async () => {
    const home = isolatedHome();
    const env = { ...home, KIMI_VISION_DEBUG: '1', MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test' };
    const first = await runBin(['describe', 'fixtures/small.png'], { env });
    expect(first.code).toBe(0);
    expect(cacheLines(first.stderr)).toEqual(['debug: code cache miss: kimi-vision.cjs', 'debug: code cache miss: vendor/undici.cjs']);
    const again = await runBin(['describe', 'fixtures/small.png'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(cacheLines(again.stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs', 'debug: code cache hit: vendor/undici.cjs']);
  });

  it('describe --each turns the run flags on before it plans: undici is cached apart for it, and both kinds of run hit afterwards', async () => {
    const home = isolatedHome();
    const env = { ...home, KIMI_VISION_DEBUG: '1', MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test' };
    const each = ['describe', '--each', '--format', 'jsonl', 'fixtures/small.png', 'fixtures/photo.jpg'];
    const plain = ['describe', 'fixtures/small.png'];
    expect(cacheLines((await runBin(each, { env })).stderr)).toEqual(['debug: code cache miss: kimi-vision.cjs', 'debug: code cache miss: vendor/undici.cjs']);
    expect(cacheLines((await runBin(plain, { env })).stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs', 'debug: code cache miss: vendor/undici.cjs']);
    const again = await runBin(each, { env });
    expect(again.code).toBe(0);
    expect(again.stdout.trim().split('\n')).toHaveLength(2);
    expect(cacheLines(again.stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs', 'debug: code cache hit: vendor/undici.cjs']);
    expect(cacheLines((await runBin(plain, { env })).stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs', 'debug: code cache hit: vendor/undici.cjs']);
    expect(cacheFiles(home).map((f) => path.basename(f).replace(/-\d+-\d+\.bin$/, '')).sort()).toEqual(['kimi-vision.describe', 'undici', 'undici.run']);
  });

  it('a cache V8 rejects (damaged, or from another build) is rewritten, and the run is unaffected', async () => {
    const home = isolatedHome();
    const env = { ...home, KIMI_VISION_DEBUG: '1' };
    await runBin(['describe', '--dry-run', 'fixtures/small.png'], { env });
    const [file] = cacheFiles(home);
    writeFileSync(file as string, 'not a code cache');
    const damaged = await runBin(['describe', '--dry-run', 'fixtures/small.png'], { env });
    expect(damaged.code).toBe(0);
    expect(damaged.stdout).toMatch(/^fixtures\/small\.png\timage\/png\t/m);
    expect(cacheLines(damaged.stderr)).toEqual(['debug: code cache rejected: kimi-vision.cjs']);
    const after = await runBin(['describe', '--dry-run', 'fixtures/small.png'], { env });
    expect(cacheLines(after.stderr)).toEqual(['debug: code cache hit: kimi-vision.cjs']);
    expect(cacheFiles(home)).toHaveLength(1);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off: nothing read or written', async () => {
    const home = isolatedHome();
    const r = await runBin(['describe', '--dry-run', 'fixtures/small.png'], { env: { ...home, KIMI_VISION_DEBUG: '1', NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r.code).toBe(0);
    expect(cacheLines(r.stderr)).toEqual([]);
    expect(() => cacheFiles(home)).toThrow(/ENOENT/);
  });
});
