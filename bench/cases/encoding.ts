// Case 8: encoding throughput, in this process. resolveInputs (read + sha256 + sniff + dimensions) and
// draining bodyChunks(planBody(...)) (read + base64) over 500 MB of images, in MB/s of image bytes;
// and a count of the reads of each file, which must be exactly two: one to hash, one to send.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { resolveInputs } from '../../src/inputs/resolve.js';
import { bodyChunks, planBody } from '../../src/request/body.js';
import { defaultPrompt, describeMessages } from '../../src/request/messages.js';
import type { BenchContext } from '../context.js';
import { imageSet, MB } from '../fixtures.js';
import { ROOT, stats } from '../measure.js';
import { mb, spread, type CaseResult } from '../report.js';

type Counts = Map<string, number>;

/**
 * Counts the opens of each path by wrapping node:fs and re-syncing the ESM named exports that src/
 * imports (syncBuiltinESMExports).
 */
function countReads(): { counts: Counts; restore: () => void } {
  const counts: Counts = new Map();
  const add = (p: unknown) => {
    const key = path.resolve(String(p));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const target = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
  const promises = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved: [Record<string, (...a: unknown[]) => unknown>, string, (...a: unknown[]) => unknown][] = [];
  const wrap = (obj: Record<string, (...a: unknown[]) => unknown>, name: string) => {
    const orig = obj[name] as (...a: unknown[]) => unknown;
    saved.push([obj, name, orig]);
    obj[name] = function (this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'string' || args[0] instanceof URL) add(args[0] instanceof URL ? args[0].pathname : args[0]);
      return orig.apply(this, args);
    };
  };
  // Every read opens the file through one of these (createReadStream calls fs.open, readFileSync
  // calls fs.openSync, the readFile functions open it themselves), so each open counts once.
  for (const name of ['open', 'openSync', 'readFile']) wrap(target, name);
  for (const name of ['readFile', 'open']) wrap(promises, name);
  syncBuiltinESMExports();
  return {
    counts,
    restore: () => {
      for (const [obj, name, orig] of saved) obj[name] = orig;
      syncBuiltinESMExports();
    },
  };
}

export async function encodingCase(ctx: BenchContext): Promise<CaseResult> {
  const set = imageSet('enc-500mb', 50, 10 * MB, { width: 4000, height: 3000 });
  const resolveMBs: number[] = [];
  const encodeMBs: number[] = [];
  const readsPerFile: number[] = [];
  let wrongFiles = 0;
  for (let i = 0; i < ctx.runs; i++) {
    ctx.log(`encoding: run ${i + 1}/${ctx.runs} (${mb(set.totalBytes)})`);
    const { counts, restore } = countReads();
    try {
      let t = performance.now();
      const images = await resolveInputs(set.files, { cwd: ROOT, readStdin: async () => new Uint8Array() });
      resolveMBs.push(set.totalBytes / MB / ((performance.now() - t) / 1000));
      const plan = planBody({ model: 'kimi-k2.6', stream: true }, describeMessages(images, defaultPrompt(images.length)));
      t = performance.now();
      let out = 0;
      for await (const chunk of bodyChunks(plan)) out += chunk.length;
      encodeMBs.push(set.totalBytes / MB / ((performance.now() - t) / 1000));
      if (out !== plan.bytes) throw new Error(`encoding: drained ${out} bytes, the plan says ${plan.bytes}`);
    } finally {
      restore();
    }
    for (const f of set.files) {
      const n = counts.get(path.resolve(f)) ?? 0;
      readsPerFile.push(n);
      if (n !== 2) wrongFiles += 1;
    }
  }
  const r = stats(resolveMBs);
  const e = stats(encodeMBs);
  const perSec = (x: number) => `${x.toFixed(0)} MB/s`;
  const label = `8. encoding: ${set.files.length} images, ${mb(set.totalBytes)} (warm page cache)`;
  const reads = stats(readsPerFile);
  return {
    rows: [
      { case: label, tool: 'resolveInputs (read + sha256 + sniff)', median: perSec(r.median), spread: spread(r, perSec), rss: '', target: 'reported' },
      { case: label, tool: 'bodyChunks(planBody(…)) (read + base64)', median: perSec(e.median), spread: spread(e, perSec), rss: '', target: 'reported' },
      {
        case: label,
        tool: 'reads per image (hash + send)',
        median: String(reads.median),
        spread: `${reads.min} – ${reads.max} (${set.files.length} files x ${ctx.runs} runs)`,
        rss: '',
        target: wrongFiles === 0 ? 'exactly 2 each: hashing done once per image OK' : `**MISSED**: ${wrongFiles} file reads were not exactly 2`,
      },
    ],
  };
}
