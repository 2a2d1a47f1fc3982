// Per-image mode (`describe --each`) against the emulator in its own process:
//   5. Throughput: 500 small images, 100 ms emulator latency, -j 1/4/16; the rate against the ideal
//      (c x one request per the emulator's median request time). Targets 0.95 / 0.95 / 0.9. Then an
//      emulator limited to 60 requests a minute, 80 images at -j 16, with and without --rpm 60: no
//      image may meet a 429 twice.
//   7. Soak: 2,000 images, 20% retryable and 2% fatal random failures: exactly one JSONL line per
//      image, no image answered twice, totals add up.
import path from 'node:path';
import type { SlimRequest } from '../emulator-process.js';
import { apiEnv, type BenchContext } from '../context.js';
import { imageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, onOwnCpu, run, stats, type Measured, type Pinned } from '../measure.js';
import { mb, ms, ratio, spread, type CaseResult, type Row } from '../report.js';

interface Line {
  path?: string;
  error?: unknown;
}

function jsonl(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

/** Emulator chat requests grouped by the sha256 of the one image each carries. */
function byImage(reqs: readonly SlimRequest[]): Map<string, SlimRequest[]> {
  const out = new Map<string, SlimRequest[]>();
  for (const r of reqs) {
    const sha = r.sha256 ?? '?';
    out.set(sha, [...(out.get(sha) ?? []), r]);
  }
  return out;
}

async function each(ctx: BenchContext, args: string[], rss = false, onClient?: Pinned['onClient']): Promise<Measured> {
  const cmd = { cmd: NODE, args: [BIN, 'describe', '--each', '--format', 'jsonl', '-q', ...args] };
  return run({ ...(onClient ? onClient(cmd) : cmd), env: childEnv(apiEnv(ctx)), ...(rss ? { rss: ctx.rss } : {}) });
}

/** What one concurrency's runs limit: the target ratio of the ideal rate. */
const TARGETS: Record<number, number> = { 1: 0.95, 4: 0.95, 16: 0.9 };

export async function throughputCase(ctx: BenchContext): Promise<CaseResult> {
  const label = '5. throughput (--each, emulator in its own process)';
  const n = ctx.quick ? 40 : 500;
  const set = imageSet(`each-${n}`, n, 2048, { width: 800, height: 600 });
  const runs = ctx.quick ? 1 : 3;
  const rows: Row[] = [];
  await ctx.remote.set({ firstByteDelayMs: 100, splitWrites: false });
  try {
    let oneRequestMs: number | undefined;
    for (const c of [1, 4, 16]) {
      const walls: number[] = [];
      /** Each run's median time of a request as the emulator saw it (headers in -> answer out). */
      const serverMs: number[] = [];
      let peak = 0;
      for (let i = 0; i < runs; i++) {
        ctx.log(`throughput: ${n} images, -j ${c}, run ${i + 1}/${runs}`);
        await ctx.remote.reset();
        const r = await each(ctx, ['-j', String(c), set.dir]);
        if (r.code !== 0) throw new Error(`throughput: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
        const lines = jsonl(r.stdout);
        if (lines.length !== n) throw new Error(`throughput: ${lines.length} JSONL lines for ${n} images`);
        walls.push(r.wallMs);
        peak = Math.max(peak, await ctx.remote.peakInFlight());
        const server = (await ctx.remote.chatRequests()).map((q) => (q.endedAt ?? q.startedAt) - q.startedAt);
        serverMs.push(stats(server).median);
        if (c === 1) oneRequestMs = stats(server).median;
      }
      const s = stats(walls);
      const rate = n / (s.median / 1000);
      const ideal = (c * 1000) / (oneRequestMs ?? NaN);
      const x = rate / ideal;
      const limit = TARGETS[c] ?? 0.9;
      const inFlight = peak > c ? ' **MISSED**: more in flight than -j' : '';
      rows.push({
        case: `${label}: ${n} images, 100 ms latency`,
        tool: `kimi-vision -j ${c} (peak in flight ${peak})`,
        median: ms(s.median),
        spread: spread(s),
        rss: '',
        target: `${rate.toFixed(1)} images/s = ${ratio(x)} of ideal (${c} x 1 per ${ms(oneRequestMs ?? NaN)}; target ≥ ${ratio(limit)}) ${x >= limit ? 'OK' : `**MISSED** by ${ratio(limit - x)}`}${inFlight}; a request takes ${ms(stats(serverMs).median)} in the emulator's view`,
      });
    }
    // -j 16 again with the emulator and the CLI on a core each: on two cores the emulator, the CLI
    // and the bench otherwise share both, and a wave of 16 answers queues on whichever is busy.
    const own =
      ctx.quick || oneRequestMs === undefined
        ? undefined
        : await onOwnCpu(ctx.remote.pid, async ({ server, client, onClient }) => {
            const walls: number[] = [];
            for (let i = 0; i < runs; i++) {
              ctx.log(`throughput: ${n} images, -j 16, emulator and CLI on a core each, run ${i + 1}/${runs}`);
              await ctx.remote.reset();
              const r = await each(ctx, ['-j', '16', set.dir], false, onClient);
              if (r.code !== 0 || jsonl(r.stdout).length !== n) throw new Error(`throughput: -j 16 on its own CPU: exit ${r.code}`);
              walls.push(r.wallMs);
            }
            return { ...stats(walls), where: `on CPU ${client} (the emulator on CPU ${server})` };
          });
    if (own && oneRequestMs !== undefined) {
      const rate = n / (own.median / 1000);
      rows.push({
        case: `${label}: ${n} images, 100 ms latency`,
        tool: `kimi-vision -j 16, ${own.where}`,
        median: ms(own.median),
        spread: spread(own),
        rss: '',
        target: `diagnostic: ${rate.toFixed(1)} images/s = ${ratio(rate / ((16 * 1000) / oneRequestMs))} of ideal`,
      });
    }
    if (!ctx.quick) rows.push(...(await rpmRuns(ctx, set.files)));
    else rows.push({ case: '5. throughput: RPM limit', tool: 'kimi-vision', median: '', spread: '', rss: '', target: 'skipped with --quick (takes over a minute)' });
  } finally {
    await ctx.remote.set({ firstByteDelayMs: 0, rpmLimit: undefined });
  }
  return { rows };
}

/** 80 images against an emulator limited to 60 requests a minute: without and with --rpm. */
async function rpmRuns(ctx: BenchContext, files: readonly string[]): Promise<Row[]> {
  const limit = 60;
  const some = files.slice(0, 80);
  const rows: Row[] = [];
  for (const extra of [[], ['--rpm', String(limit)]]) {
    ctx.log(`throughput: RPM limit ${limit}, ${some.length} images ${extra.join(' ')}`);
    await ctx.remote.reset();
    await ctx.remote.set({ rpmLimit: limit, firstByteDelayMs: 0 });
    const r = await each(ctx, ['-j', '16', ...extra, ...some]);
    const lines = r.stdout.trim() ? jsonl(r.stdout) : [];
    const groups = byImage(await ctx.remote.chatRequests());
    const limited = [...groups.values()].map((g) => g.filter((q) => q.status === 429).length);
    const total429 = limited.reduce((a, b) => a + b, 0);
    const worst = Math.max(0, ...limited);
    const ok = lines.filter((l) => l.error === null || l.error === undefined).length;
    rows.push({
      case: `5. throughput: emulator RPM limit ${limit}, ${some.length} images, -j 16`,
      tool: `kimi-vision ${extra.join(' ') || '(no --rpm)'}`,
      median: ms(r.wallMs),
      spread: 'n=1',
      rss: '',
      target: `${total429} x 429 in total, at most ${worst} per image, ${ok}/${some.length} described, exit ${r.code} ${worst <= 1 && ok === some.length ? 'OK' : '**MISSED**'}`,
    });
  }
  return rows;
}

export async function soakCase(ctx: BenchContext): Promise<CaseResult> {
  const label = '7. soak (--each, 20% retryable + 2% fatal failures)';
  const n = ctx.quick ? 100 : 2000;
  await ctx.remote.set({ randomFailures: { retryable: 0.2, fatal: 0.02, seed: 42 }, splitWrites: false, firstByteDelayMs: 0 });
  try {
    const set = imageSet(`soak-${n}`, n, 2048, { width: 800, height: 600 });
    ctx.log(`soak: ${n} images`);
    await ctx.remote.reset();
    const r = await each(ctx, ['-j', '16', set.dir], true);
    const lines = jsonl(r.stdout);
    const names = lines.map((l) => path.basename(l.path ?? ''));
    const unique = new Set(names);
    const missing = set.files.filter((f) => !unique.has(path.basename(f))).length;
    const requests = await ctx.remote.chatRequests();
    const groups = byImage(requests);
    const answered = [...groups.values()].filter((g) => g.some((q) => q.status === 200)).length;
    const answeredTwice = [...groups.values()].filter((g) => g.filter((q) => q.status === 200).length > 1).length;
    const ok = lines.filter((l) => l.error === null || l.error === undefined).length;
    const failed = lines.length - ok;
    const good = lines.length === n && unique.size === n && missing === 0 && answeredTwice === 0 && ok === answered && ok + failed === n;
    return {
      rows: [
        {
          case: `${label}: ${n} images, -j 16`,
          tool: 'kimi-vision --each --format jsonl',
          median: ms(r.wallMs),
          spread: 'n=1',
          rss: r.peakRss !== undefined ? mb(r.peakRss) : '',
          target:
            `${lines.length} lines for ${n} images (${unique.size} distinct, ${missing} missing), ${ok} ok + ${failed} failed, ` +
            `${requests.length} requests, ${answeredTwice} answered twice, exit ${r.code} ${good ? 'OK' : '**MISSED**'}`,
        },
      ],
    };
  } finally {
    await ctx.remote.set({ randomFailures: undefined });
  }
}
