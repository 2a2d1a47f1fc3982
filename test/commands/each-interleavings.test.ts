// A property over random interleavings of planning, files changing under the run, sending (with
// random retryable and fatal failures) and a signal, for `describe --each --cache --write`: every
// image ends with at most one record (exactly one when nothing stopped the run), each sidecar is
// whole and belongs to its image's record, each cache entry is whole and holds an answer that was a
// success, no failed answer is cached, and no temporary file is left.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runInProcess } from '../helpers/cli.js';

const emu = useEmulator();
afterEach(() => emu.set({ randomFailures: undefined, onRequestEnd: undefined, reply: undefined }));

const SMALL = readFileSync(path.join(FIXTURES, 'small.png'));

type Change = { at: number; image: number; how: 'remove' | 'truncate' | 'grow' };
interface Scenario {
  images: number;
  failures: { retryable: number; fatal: number; seed: number };
  changes: Change[];
  /** Abort after this many finished requests; undefined: never. */
  signalAfter: number | undefined;
  concurrency: number;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  images: fc.integer({ min: 2, max: 5 }),
  failures: fc.record({ retryable: fc.double({ min: 0, max: 0.4, noNaN: true }), fatal: fc.double({ min: 0, max: 0.2, noNaN: true }), seed: fc.integer({ min: 1, max: 1e6 }) }),
  changes: fc.array(
    fc.record({ at: fc.integer({ min: 0, max: 6 }), image: fc.integer({ min: 0, max: 4 }), how: fc.constantFrom('remove' as const, 'truncate' as const, 'grow' as const) }),
    { maxLength: 3 },
  ),
  signalAfter: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  concurrency: fc.integer({ min: 1, max: 3 }),
});

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

async function runScenario(s: Scenario): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-interleave-'));
  const home = isolatedHome();
  try {
    // Distinct images: small.png with a few bytes after its end (still a whole PNG to every reader).
    const names = Array.from({ length: s.images }, (_, i) => `img-${i}.png`);
    names.forEach((n, i) => writeFileSync(path.join(dir, n), Buffer.concat([SMALL, Buffer.alloc(i + 1, i)])));
    const controller = new AbortController();
    let finished = 0;
    emu.reset();
    emu.set({
      randomFailures: s.failures,
      onRequestEnd: () => {
        finished += 1;
        for (const c of s.changes.filter((x) => x.at === finished && x.image < s.images)) {
          const file = path.join(dir, names[c.image] as string);
          if (!existsSync(file)) continue;
          if (c.how === 'remove') rmSync(file);
          else if (c.how === 'truncate') truncateSync(file, 20);
          else writeFileSync(file, Buffer.concat([SMALL, Buffer.alloc(4096, 7)]));
        }
        if (s.signalAfter !== undefined && finished >= s.signalAfter) controller.abort('SIGINT');
      },
    });
    if (s.signalAfter === 0) controller.abort('SIGINT');
    // The files named one by one: a file that stops being an image is then that input's failure
    // record (a folder walk would skip it as a non-image, with a note).
    const r = await runInProcess(['describe', '--each', '--cache', '--write', 'txt', '--format', 'jsonl', '-j', String(s.concurrency), '--max-attempts', '2', ...names], {
      cwd: dir,
      env: { ...home, MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-interleave' },
      signal: controller.signal,
    });
    const stopped = controller.signal.aborted;
    expect([0, 3, 5, 75, 130]).toContain(r.code);
    const records = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { path: string; text: string; error: unknown; cached: boolean });
    // At most one record an image; exactly one when nothing stopped the run.
    const paths = records.map((x) => x.path);
    expect(new Set(paths).size).toBe(paths.length);
    if (!stopped) expect(paths.sort()).toEqual([...names].sort());
    // Each sidecar is whole and is its image's record; failed or unfinished images have none.
    const ok = new Map(records.filter((x) => x.error === null).map((x) => [x.path, x]));
    for (const n of names) {
      const sidecar = path.join(dir, `${n}.txt`);
      const rec = ok.get(n);
      if (rec) expect(readFileSync(sidecar, 'utf8')).toBe(`${rec.text.trim()}\n`);
      else expect(existsSync(sidecar), `${n} has no successful record but a sidecar`).toBe(false);
    }
    // Cache entries are whole, and each holds a successful answer; never more than the successes.
    const entries = filesUnder(path.join(home.XDG_CACHE_HOME as string, 'kimi-vision')).filter((f) => f.endsWith('.json'));
    const texts = new Set([...ok.values()].map((x) => x.text));
    for (const f of entries) {
      const e = JSON.parse(readFileSync(f, 'utf8')) as { text: string; key: string };
      expect(path.basename(f, '.json')).toBe(e.key);
      expect(texts.has(e.text), `cached ${e.text} is no successful record's answer`).toBe(true);
    }
    expect(entries.length).toBeLessThanOrEqual([...ok.values()].filter((x) => !x.cached).length);
    // Nothing half-written anywhere.
    expect([...filesUnder(dir), ...filesUnder(home.HOME as string)].filter((f) => /\.tmp$|\.lock$/.test(f))).toEqual([]);
  } finally {
    // No request of this scenario may reach the next one's hooks.
    for (let i = 0; i < 200 && emu.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('describe --each --cache --write over random interleavings', () => {
  it('one record an image at most, whole sidecars and cache entries of successes only, nothing half-written', async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: 30 });
  }, 120_000);
});
