// Case 3: memory flat over the length of a run, and case 6: how a long run scales.
//   3a. `describe --each -j 16 --format jsonl` over 2,000 and 20,000 small images against the
//       emulator in its own process (no latency): peak RSS of the long run at most 1.15x the short.
//   3b. The same as `--dry-run`: at most 1.3x.
//   3c. (full run only) The same --each over 50,000 images: reported beside the 20,000-image peak, to
//       tell memory that keeps growing with the run from memory that levels off (bench/README.md).
//   6.  Images per second of the 20,000-image run (with the CPU time of the CLI and of the emulator
//       beside it: on two cores they share, either can be the limit), and the time of a dry run over
//       50,000 files. Reported, no target: the point is the slope.
import { readFileSync } from 'node:fs';
import { apiEnv, type BenchContext } from '../context.js';
import { imageSet, type ImageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, run, stats, type Measured } from '../measure.js';
import { mb, ms, ratio, spread, type CaseResult, type Row } from '../report.js';

/** CPU time (user + system, ms) of a process so far, from /proc; NaN where there is no /proc. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

interface Runs {
  n: number;
  walls: number[];
  rss: number[];
  cpu: number[];
  emuCpu: number[];
}

/** One CLI run over a folder of n images; checks it printed one line per image and exited 0. */
async function once(ctx: BenchContext, set: ImageSet, n: number, args: string[], env: Record<string, string>, into: Runs): Promise<void> {
  let lines = 0;
  const emuBefore = cpuMsOf(ctx.remote.pid);
  const r: Measured = await run({
    cmd: NODE,
    args: [BIN, 'describe', '--each', '-j', '16', '--format', 'jsonl', '-q', ...args, set.dir],
    env,
    rss: ctx.rss,
    keepStdout: false,
    onStdout: (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    },
  });
  if (r.code !== 0) throw new Error(`flat: ${args.join(' ') || '--each'} over ${n} images exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  if (lines !== n) throw new Error(`flat: ${lines} JSONL lines for ${n} images`);
  into.walls.push(r.wallMs);
  into.rss.push(r.peakRss ?? NaN);
  into.cpu.push(r.cpuMs ?? NaN);
  into.emuCpu.push(cpuMsOf(ctx.remote.pid) - emuBefore);
}

async function measure(ctx: BenchContext, sizes: number[], runs: number, args: string[], what: string): Promise<Runs[]> {
  const env = childEnv(apiEnv(ctx));
  const out = sizes.map((n): Runs => ({ n, walls: [], rss: [], cpu: [], emuCpu: [] }));
  const sets = sizes.map((n) => imageSet(`flat-${n}`, n, 2048, { width: 800, height: 600 }));
  // Interleaved, short then long, so drift on the machine hits both alike.
  for (let i = 0; i < runs; i++) {
    for (const [k, n] of sizes.entries()) {
      ctx.log(`flat: ${what} over ${n} images, run ${i + 1}/${runs}`);
      await ctx.remote.reset();
      await once(ctx, sets[k] as ImageSet, n, args, env, out[k] as Runs);
      if (args.length === 0) {
        const sent = (await ctx.remote.chatRequests()).length;
        if (sent !== n) throw new Error(`flat: the emulator answered ${sent} requests for ${n} images`);
      }
    }
  }
  return out;
}

function rowsOf(label: string, tool: string, runs: Runs[], limit: number): Row[] {
  const rows: Row[] = runs.map((r) => {
    const w = stats(r.walls);
    const peak = Math.max(...r.rss);
    return {
      case: `${label}: ${r.n.toLocaleString('en-US')} images`,
      tool,
      median: ms(w.median),
      spread: spread(w),
      rss: `${mb(peak)} (median ${mb(stats(r.rss).median)})`,
      target: '',
    };
  });
  const [short, long] = runs.map((r) => Math.max(...r.rss)) as [number, number];
  const x = long / short;
  rows.push({
    case: `${label}: memory`,
    tool: `peak RSS, ${runs[1]?.n.toLocaleString('en-US')} vs ${runs[0]?.n.toLocaleString('en-US')} images`,
    median: '',
    spread: '',
    rss: `${mb(long)} vs ${mb(short)}`,
    target: `${ratio(x)} (target ≤ ${ratio(limit)}: flat) ${x <= limit ? 'OK' : `**MISSED** by ${ratio(x - limit)}`}`,
  });
  return rows;
}

export async function flatCase(ctx: BenchContext): Promise<CaseResult> {
  const sizes = ctx.quick ? [200, 2000] : [2000, 20000];
  const scaleSize = ctx.quick ? 5000 : 50000;
  await ctx.remote.set({ firstByteDelayMs: 0, splitWrites: false });
  const each = await measure(ctx, sizes, ctx.quick ? 1 : 2, [], '--each');
  const dry = await measure(ctx, sizes, ctx.quick ? 1 : 3, ['--dry-run'], '--each --dry-run');
  const big = await measure(ctx, [scaleSize], 1, ['--dry-run'], '--each --dry-run');
  const longest = ctx.quick ? undefined : ((await measure(ctx, [scaleSize], 1, [], '--each'))[0] as Runs);
  const rows = [
    ...rowsOf('3. flat: --each -j 16 --format jsonl, no latency', 'kimi-vision', each, 1.15),
    ...rowsOf('3. flat: --each --dry-run --format jsonl', 'kimi-vision', dry, 1.3),
  ];
  const long = each[1] as Runs;
  if (longest) {
    const [a, b] = [Math.max(...long.rss), Math.max(...longest.rss)];
    rows.push({
      case: `3. flat: --each -j 16 --format jsonl, no latency: ${longest.n.toLocaleString('en-US')} images`,
      tool: 'kimi-vision',
      median: ms(stats(longest.walls).median),
      spread: spread(stats(longest.walls)),
      rss: `${mb(b)} vs ${mb(a)}`,
      target: `reported: ${ratio(b / a)} the ${long.n.toLocaleString('en-US')}-image peak (about 1.00x: memory has levelled off)`,
    });
  }
  const w = stats(long.walls);
  const perImage = (xs: number[]) => `${(stats(xs).median / long.n).toFixed(2)} ms`;
  rows.push({
    case: `6. scale: --each over ${long.n.toLocaleString('en-US')} images, -j 16, no latency`,
    tool: 'kimi-vision',
    median: `${(long.n / (w.median / 1000)).toFixed(0)} images/s`,
    spread: spread(w),
    rss: '',
    target: `reported; CPU per image: CLI ${perImage(long.cpu)}, emulator ${perImage(long.emuCpu)}`,
  });
  const b = big[0] as Runs;
  rows.push({
    case: `6. scale: --each --dry-run over ${b.n.toLocaleString('en-US')} files`,
    tool: 'kimi-vision',
    median: ms(stats(b.walls).median),
    spread: spread(stats(b.walls)),
    rss: mb(Math.max(...b.rss)),
    target: `reported; ${(((b.walls[0] ?? NaN) / b.n) * 1000).toFixed(0)} µs per file, CPU ${(((b.cpu[0] ?? NaN) / b.n) * 1000).toFixed(0)} µs`,
  });
  return { rows };
}
