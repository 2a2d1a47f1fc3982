// Case 2: peak RSS while sending one request with 72 MB of images (a ~96 MB body, just under the
// API's 100 MB), split three ways: 6 x 12 MB, 16 x 4.5 MB and 72 x 1 MB, against a bare `node -e 0`.
// Target, for every split: kimi-vision at most 1.3 x (bare node + 40 MB): memory grows neither with
// the body nor with the number of files. The naive baseline is run on the first split.
import path from 'node:path';
import { apiEnv, type BenchContext } from '../context.js';
import { imageSet, MB, type ImageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, ROOT, runOk, stats, type Measured, type Stats } from '../measure.js';
import { mb, ms, ratio, spread, verdict, type CaseResult, type Row } from '../report.js';

const NAIVE = path.join(ROOT, 'bench', 'naive.mjs');

/** The splits; the sizes fit kimi-k2.6's context (72 large screenshots would not). */
function splits(): ImageSet[] {
  return [
    imageSet('mem-72mb', 6, 12 * MB, { width: 4000, height: 3000 }),
    imageSet('mem-16x4.5mb', 16, 4.5 * MB, { width: 4000, height: 3000 }),
    imageSet('mem-72x1mb', 72, 1 * MB, { width: 1280, height: 720 }),
  ];
}

type Sample = { wall: number; rss: number };

export async function memoryCase(ctx: BenchContext): Promise<CaseResult> {
  const sets = splits();
  await ctx.remote.set({ firstByteDelayMs: 0, splitWrites: false });
  const env = childEnv(apiEnv(ctx));
  const bare: Sample[] = [];
  const cli = sets.map(() => [] as Sample[]);
  const naive: Sample[] = [];
  const bodies = sets.map(() => 0);
  const sample = (r: Measured): Sample => ({ wall: r.wallMs, rss: r.peakRss ?? NaN });
  for (let i = 0; i < ctx.runs; i++) {
    ctx.log(`memory: run ${i + 1}/${ctx.runs}`);
    bare.push(sample(await runOk({ cmd: NODE, args: ['-e', '0'], env, rss: ctx.rss })));
    for (const [k, set] of sets.entries()) {
      await ctx.remote.reset();
      (cli[k] as Sample[]).push(sample(await runOk({ cmd: NODE, args: [BIN, 'describe', '-q', ...set.files], env, rss: ctx.rss })));
      const sent = (await ctx.remote.chatRequests()).find((r) => r.status === 200);
      if (!sent || sent.images !== set.files.length) throw new Error(`memory: the emulator did not receive the ${set.files.length} images in one request`);
      bodies[k] = sent.bodyBytes;
    }
    naive.push(sample(await runOk({ cmd: NODE, args: [NAIVE, ...(sets[0] as ImageSet).files], env, rss: ctx.rss })));
  }
  const wall = (xs: Sample[]) => stats(xs.map((x) => x.wall));
  const rss = (xs: Sample[]) => stats(xs.map((x) => x.rss));
  const rssCell = (s: Stats) => `${mb(s.max)} (median ${mb(s.median)})`;
  const node = rss(bare);
  const limit = 1.3 * (node.median + 40 * MB);
  const label = (k: number) => {
    const set = sets[k] as ImageSet;
    return `2. memory: ${set.files.length} x ${mb(set.totalBytes / set.files.length)} (${mb(set.totalBytes)}), body ${mb(bodies[k] ?? 0)}`;
  };
  const rows: Row[] = [
    { case: '2. memory: one request with 72 MB of images', tool: 'node -e 0', median: ms(wall(bare).median), spread: spread(wall(bare)), rss: rssCell(node), target: 'baseline' },
  ];
  for (const [k, xs] of cli.entries()) {
    const s = rss(xs);
    rows.push({
      case: label(k),
      tool: 'kimi-vision describe -q',
      median: ms(wall(xs).median),
      spread: spread(wall(xs)),
      rss: rssCell(s),
      target: verdict(s.max / limit, 1, `of 1.3 x (node + 40 MB) = ${mb(limit)}`),
    });
  }
  const peaks = cli.map((xs) => rss(xs).max);
  const most = Math.max(...peaks);
  const least = Math.min(...peaks);
  rows.push({
    case: '2. memory: the same 72 MB in more files',
    tool: 'kimi-vision: highest split vs lowest',
    median: '',
    spread: '',
    rss: `${mb(most)} vs ${mb(least)}`,
    target: `${ratio(most / least)} (reported: what the file count adds)`,
  });
  const n = rss(naive);
  rows.push({
    case: label(0),
    tool: 'naive baseline (openai SDK)',
    median: ms(wall(naive).median),
    spread: spread(wall(naive)),
    rss: rssCell(n),
    target: `${ratio(n.max / limit)} of the same limit; ${ratio(n.max / (peaks[0] ?? NaN))} kimi-vision's RSS`,
  });
  return { rows };
}
