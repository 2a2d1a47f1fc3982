// Path and glob resolution: order, de-duplication and errors, with property tests over random trees.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandArgs, resolveInputs } from '../../src/inputs/resolve.js';
import { InputError, UsageError } from '../../src/errors.js';

const SMALL = path.join(import.meta.dirname, '..', '..', 'fixtures', 'small.png');
const noStdin = async () => new Uint8Array();

describe('expandArgs', () => {
  it('keeps argument order, sorts each glob, and drops repeats of the same file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    for (const n of ['b.png', 'a.png', 'c.jpg']) copyFileSync(SMALL, path.join(dir, n));
    const planned = await expandArgs(['c.jpg', '*.png', 'a.png', '-'], dir);
    expect(planned.map((p) => (p.kind === 'file' ? p.shownAs : p.kind))).toEqual(['c.jpg', 'a.png', 'b.png', 'stdin']);
  });

  it('says which input is wrong', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    await expect(expandArgs(['nope.png'], dir)).rejects.toThrow(InputError);
    await expect(expandArgs(['*.nope'], dir)).rejects.toThrow(UsageError);
    await expect(expandArgs([''], dir)).rejects.toThrow(/empty string/);
    await expect(resolveInputs(['-', '-'], { cwd: dir, readStdin: async () => readFileSync(SMALL) })).rejects.toThrow(/more than once/);
  });

  it('any tree and any mix of names, globs and directories: every file once, nothing invented, a full glob finds all', async () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,3}(\/[a-z]{1,3})?$/), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(names, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (files, picks) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'kv-prop-'));
        try {
          const made: string[] = [];
          for (const f of files) {
            const rel = `${f}.png`;
            mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            try {
              copyFileSync(SMALL, path.join(dir, rel));
              made.push(rel);
            } catch {
              // a name that is also a directory: skip it
            }
          }
          if (made.length === 0) return;
          const args = picks.map((p, i) => (i % 3 === 2 ? '**/*.png' : i % 3 === 1 ? path.dirname(made[p % made.length]!) : made[p % made.length]!));
          const planned = await expandArgs(args, dir);
          const shown = planned.map((p) => (p.kind === 'file' ? p.file : ''));
          expect(new Set(shown).size).toBe(shown.length); // no file twice
          for (const f of shown) expect(made.map((m) => path.join(dir, m))).toContain(f); // nothing invented
          if (args.includes('**/*.png')) expect(shown.length).toBe(made.length); // a full glob finds all
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
