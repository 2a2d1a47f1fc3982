// Case 1: peak RSS while sending one request with 72 MB of images (a ~96 MB body), against a bare
// `node -e 0` and the naive baseline. Target: kimi-vision < 1.3 x (bare node + 40 MB).
import path from 'node:path';
import { apiEnv, type BenchContext } from '../context.js';
import { imageSet, MB } from '../fixtures.js';
import { BIN, childEnv, NODE, ROOT, runOk, stats } from '../measure.js';
import { mb, ms, ratio, spread, verdict, type CaseResult } from '../report.js';

const NAIVE = path.join(ROOT, 'bench', 'naive.mjs');

export async function memoryCase(ctx: BenchContext): Promise<CaseResult> {
  const set = imageSet('mem-72mb', 6, 12 * MB, { width: 4000, height: 3000 });
  ctx.emu.set({ firstByteDelayMs: 0 });
  const env = childEnv(apiEnv(ctx));
  const samples = { node: [] as number[][], cli: [] as number[][], naive: [] as number[][] };
  let bodyBytes = 0;
  for (let i = 0; i < ctx.runs; i++) {
    ctx.log(`memory: run ${i + 1}/${ctx.runs}`);
    const bare = await runOk({ cmd: NODE, args: ['-e', '0'], env, rss: ctx.rss });
    samples.node.push([bare.wallMs, bare.peakRss ?? NaN]);
    ctx.emu.reset();
    const cli = await runOk({ cmd: NODE, args: [BIN, 'describe', '-q', ...set.files], env, rss: ctx.rss });
    samples.cli.push([cli.wallMs, cli.peakRss ?? NaN]);
    const sent = ctx.emu.chatRequests().find((r) => r.status === 200);
    if (!sent || sent.images.length !== set.files.length) throw new Error('memory: the emulator did not receive the 6 images in one request');
    bodyBytes = sent.bodyBytes;
    const naive = await runOk({ cmd: NODE, args: [NAIVE, ...set.files], env, rss: ctx.rss });
    samples.naive.push([naive.wallMs, naive.peakRss ?? NaN]);
  }
  const wall = (xs: number[][]) => stats(xs.map((x) => x[0] as number));
  const rss = (xs: number[][]) => stats(xs.map((x) => x[1] as number));
  const bare = rss(samples.node);
  const cli = rss(samples.cli);
  const naive = rss(samples.naive);
  const limit = 1.3 * (bare.median + 40 * MB);
  const label = `1. memory: ${set.files.length} images, ${mb(set.totalBytes)}, body ${mb(bodyBytes)}`;
  const rssCell = (s: ReturnType<typeof rss>) => `${mb(s.max)} (median ${mb(s.median)})`;
  return {
    rows: [
      { case: label, tool: 'node -e 0', median: ms(wall(samples.node).median), spread: spread(wall(samples.node)), rss: rssCell(bare), target: 'baseline' },
      {
        case: label,
        tool: 'kimi-vision describe -q',
        median: ms(wall(samples.cli).median),
        spread: spread(wall(samples.cli)),
        rss: rssCell(cli),
        target: verdict(cli.max / limit, 1, `of 1.3 x (node + 40 MB) = ${mb(limit)}`),
      },
      {
        case: label,
        tool: 'naive baseline (openai SDK)',
        median: ms(wall(samples.naive).median),
        spread: spread(wall(samples.naive)),
        rss: rssCell(naive),
        target: `${ratio(naive.max / limit)} of the same limit; ${ratio(naive.max / cli.max)} kimi-vision's RSS`,
      },
    ],
  };
}
