// Cases 5 and 6 need `describe --each` (issue 3). Until the CLI has it they print a skipped row.
// Written against issue 3's contract (`--each`, `-j/--concurrency`, `--rpm`, `--format jsonl` with
// one `{"path", "error", …}` line per image); TODO(lead): check them once --each lands.
//   5. Per-image throughput: 500 small images, 100 ms emulator latency, concurrency 1/4/16, ratio to
//      the ideal (c x one-request rate); then an emulator RPM limit: no image meets a 429 twice.
//   6. Soak: 2,000 images, 20% retryable and 2% fatal random failures: exactly one JSONL line per
//      image, no image answered twice, totals add up, peak RSS flat (2,000 vs 200 images).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { LoggedRequest } from '../../test/emulator/types.js';
import { apiEnv, type BenchContext } from '../context.js';
import { imageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, ROOT, run, stats, type Measured } from '../measure.js';
import { mb, ms, ratio, spread, type CaseResult, type Row } from '../report.js';

function describeHelp(): string {
  const r = spawnSync(NODE, [BIN, 'describe', '--help'], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
  return r.stdout ?? '';
}

const hasEach = (): boolean => /--each\b/.test(describeHelp());

const skipped = (label: string): CaseResult => ({
  rows: [{ case: label, tool: 'kimi-vision describe --each', median: '', spread: '', rss: '', target: 'skipped: --each not implemented (TODO)' }],
});

interface Line {
  path?: string;
  error?: unknown;
}

function jsonl(stdout: string): Line[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line);
}

/** Emulator chat requests grouped by the sha256 of the one image each carries. */
function byImage(reqs: readonly LoggedRequest[]): Map<string, LoggedRequest[]> {
  const out = new Map<string, LoggedRequest[]>();
  for (const r of reqs) {
    const sha = r.images[0]?.sha256 ?? '?';
    out.set(sha, [...(out.get(sha) ?? []), r]);
  }
  return out;
}

async function each(ctx: BenchContext, args: string[], rss = false): Promise<Measured> {
  return run({ cmd: NODE, args: [BIN, 'describe', '--each', '--format', 'jsonl', '-q', ...args], env: childEnv(apiEnv(ctx)), ...(rss ? { rss: ctx.rss } : {}) });
}

export async function perImageCase(ctx: BenchContext): Promise<CaseResult> {
  const label = '5. per-image (--each)';
  if (!hasEach()) return skipped(label);
  const n = ctx.quick ? 40 : 500;
  const set = imageSet(`each-${n}`, n, 2048, { width: 800, height: 600 });
  const runs = ctx.quick ? 1 : 3;
  const rows: Row[] = [];
  ctx.emu.set({ firstByteDelayMs: 100, splitWrites: false });
  try {
    let oneRequestMs: number | undefined;
    for (const c of [1, 4, 16]) {
      const walls: number[] = [];
      let peak = 0;
      for (let i = 0; i < runs; i++) {
        ctx.log(`per-image: ${n} images, -j ${c}, run ${i + 1}/${runs}`);
        ctx.emu.reset();
        const r = await each(ctx, ['-j', String(c), set.dir]);
        if (r.code !== 0) throw new Error(`per-image: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
        const lines = jsonl(r.stdout);
        if (lines.length !== n) throw new Error(`per-image: ${lines.length} JSONL lines for ${n} images`);
        walls.push(r.wallMs);
        peak = Math.max(peak, ctx.emu.peakInFlight);
        if (c === 1) {
          const server = ctx.emu.chatRequests().map((q) => (q.endedAt ?? q.startedAt) - q.startedAt);
          oneRequestMs = stats(server).median;
        }
      }
      const s = stats(walls);
      const rate = n / (s.median / 1000);
      const ideal = (c * 1000) / (oneRequestMs ?? NaN);
      rows.push({
        case: `${label}: ${n} images, 100 ms latency`,
        tool: `kimi-vision -j ${c} (peak in flight ${peak})`,
        median: ms(s.median),
        spread: spread(s),
        rss: '',
        target: `${rate.toFixed(1)} images/s = ${ratio(rate / ideal)} of ideal (${c} x 1 per ${ms(oneRequestMs ?? NaN)})${peak > c ? ' **MISSED**: more in flight than -j' : ''}`,
      });
    }
    if (!ctx.quick) rows.push(...(await rpmRuns(ctx, set.files)));
    else rows.push({ case: `${label}: RPM limit`, tool: 'kimi-vision', median: '', spread: '', rss: '', target: 'skipped with --quick (takes over a minute)' });
  } finally {
    ctx.emu.set({ firstByteDelayMs: 0, splitWrites: true, rpmLimit: undefined });
  }
  return { rows };
}

/** 80 images against an emulator limited to 60 requests a minute: without and with --rpm. */
async function rpmRuns(ctx: BenchContext, files: readonly string[]): Promise<Row[]> {
  const limit = 60;
  const some = files.slice(0, 80);
  const rows: Row[] = [];
  const withRpm = /--rpm\b/.test(describeHelp());
  for (const extra of withRpm ? [[], ['--rpm', String(limit)]] : [[]]) {
    ctx.log(`per-image: RPM limit ${limit}, ${some.length} images ${extra.join(' ')}`);
    ctx.emu.reset();
    ctx.emu.set({ rpmLimit: limit, firstByteDelayMs: 0 });
    const r = await each(ctx, ['-j', '16', ...extra, ...some]);
    const lines = r.stdout.trim() ? jsonl(r.stdout) : [];
    const groups = byImage(ctx.emu.chatRequests());
    const limited = [...groups.values()].map((g) => g.filter((q) => q.status === 429).length);
    const total429 = limited.reduce((a, b) => a + b, 0);
    const worst = Math.max(0, ...limited);
    const ok = lines.filter((l) => l.error === null || l.error === undefined).length;
    rows.push({
      case: `5. per-image: emulator RPM limit ${limit}, ${some.length} images, -j 16`,
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
  const label = '6. soak (--each, 20% retryable + 2% fatal failures)';
  if (!hasEach()) return skipped(label);
  const sizes = ctx.quick ? [50, 100] : [200, 2000];
  const rows: Row[] = [];
  const peaks: number[] = [];
  ctx.emu.set({ randomFailures: { retryable: 0.2, fatal: 0.02, seed: 42 }, splitWrites: false, firstByteDelayMs: 0 });
  try {
    for (const n of sizes) {
      const set = imageSet(`soak-${n}`, n, 2048, { width: 800, height: 600 });
      ctx.log(`soak: ${n} images`);
      ctx.emu.reset();
      const r = await each(ctx, ['-j', '16', set.dir], true);
      const lines = jsonl(r.stdout);
      const names = lines.map((l) => path.basename(l.path ?? ''));
      const unique = new Set(names);
      const missing = set.files.filter((f) => !unique.has(path.basename(f))).length;
      const groups = byImage(ctx.emu.chatRequests());
      const answered = [...groups.values()].filter((g) => g.some((q) => q.status === 200)).length;
      const answeredTwice = [...groups.values()].filter((g) => g.filter((q) => q.status === 200).length > 1).length;
      const ok = lines.filter((l) => l.error === null || l.error === undefined).length;
      const failed = lines.length - ok;
      const good = lines.length === n && unique.size === n && missing === 0 && answeredTwice === 0 && ok === answered && ok + failed === n;
      peaks.push(r.peakRss ?? NaN);
      rows.push({
        case: `${label}: ${n} images, -j 16`,
        tool: 'kimi-vision --each --format jsonl',
        median: ms(r.wallMs),
        spread: 'n=1',
        rss: r.peakRss !== undefined ? mb(r.peakRss) : '',
        target:
          `${lines.length} lines for ${n} images (${unique.size} distinct, ${missing} missing), ${ok} ok + ${failed} failed, ` +
          `${ctx.emu.chatRequests().length} requests, ${answeredTwice} answered twice, exit ${r.code} ${good ? 'OK' : '**MISSED**'}`,
      });
    }
  } finally {
    ctx.emu.set({ randomFailures: undefined, splitWrites: true });
  }
  const [small, big] = peaks as [number, number];
  rows.push({
    case: `${label}: memory`,
    tool: `peak RSS ${sizes[1]} vs ${sizes[0]} images`,
    median: '',
    spread: '',
    rss: `${mb(big)} vs ${mb(small)}`,
    target: `${ratio(big / small)} (target ≤ 1.20x: flat) ${big / small <= 1.2 ? 'OK' : '**MISSED**'}`,
  });
  return { rows };
}
