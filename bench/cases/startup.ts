// Case 1: start-up. `--help` and `--version` (target: median at most 1.2x `node -e 0`) and
// `describe --dry-run` on 10 small images (at most 1.4x), with Node's own compile cache warm: each
// command has a cache folder (NODE_COMPILE_CACHE) of its own, written by a first run of that same
// command. (Node writes a file's cache entry once, when it first compiles it, with what V8 compiled
// then: the top-level code and the functions the build put in parentheses. `--help` compiles only
// the entry file, so a folder it warmed would hold nothing of the CLI a dry run loads.) A diagnostic
// row gives the dry run with the compile cache off. Then the import cost of each dependency.
import type { BenchContext } from '../context.js';
import { imageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, runOk, stats, type Stats } from '../measure.js';
import { ms, spread, verdict, type CaseResult, type Row } from '../report.js';

const DEPS = ['commander', 'undici', 'fast-glob', 'eventsource-parser'];

interface Command {
  tool: string;
  args: string[];
  /** The target, as a ratio of `node -e 0`; undefined for the baseline and diagnostics. */
  limit?: number;
  env: Record<string, string>;
}

export async function startupCase(ctx: BenchContext): Promise<CaseResult> {
  // Each start is ~50 ms, so take more samples than the heavier cases.
  const runs = ctx.quick ? 6 : 20;
  const small = imageSet('small-10', 10, 4096, { width: 800, height: 600 });
  const dry = [BIN, 'describe', '--dry-run', ...small.files];
  const commands: Command[] = [
    { tool: 'node -e 0', args: ['-e', '0'], env: childEnv() },
    { tool: 'kimi-vision --help', args: [BIN, '--help'], limit: 1.2, env: childEnv() },
    { tool: 'kimi-vision --version', args: [BIN, '--version'], limit: 1.2, env: childEnv() },
    { tool: 'kimi-vision describe --dry-run (10 images)', args: dry, limit: 1.4, env: childEnv() },
    { tool: 'describe --dry-run (10 images), compile cache off', args: dry, env: childEnv({ NODE_DISABLE_COMPILE_CACHE: '1' }) },
  ];
  const samples = commands.map(() => [] as number[]);
  // Two warm-up rounds (the compile caches, the page cache), then interleaved rounds so drift on
  // the machine hits every command alike.
  for (let i = -2; i < runs; i++) {
    if (i === 0 || i === -2) ctx.log(`start-up: ${i < 0 ? 'warm-up' : `${runs} rounds`}`);
    for (const [k, c] of commands.entries()) {
      const r = await runOk({ cmd: NODE, args: c.args, env: c.env });
      if (i >= 0) samples[k]?.push(r.wallMs);
    }
  }
  const node = stats(samples[0] as number[]);
  const rows: Row[] = commands.map((c, k) => {
    const s = stats(samples[k] as number[]);
    const ratio = s.median / node.median;
    return {
      case: '1. start-up (wall time, spawn to exit; compile cache warm)',
      tool: c.tool,
      median: ms(s.median),
      spread: spread(s),
      rss: '',
      target: k === 0 ? 'baseline' : c.limit === undefined ? `diagnostic: ${ratio.toFixed(2)}x node -e 0` : verdict(ratio, c.limit, 'node -e 0'),
    };
  });
  return { rows, extra: await importCosts(ctx, ctx.quick ? 3 : 10) };
}

/** Time of `await import(x)` in a fresh process each, measured in-process with performance.now(). */
async function importCosts(ctx: BenchContext, runs: number): Promise<string[]> {
  ctx.log('start-up: import cost of each dependency');
  const env = childEnv();
  const targets: [string, string][] = [["(an empty module: the ESM loader's own cost)", 'data:text/javascript,export default 0'], ...DEPS.map((d): [string, string] => [d, d])];
  const lines = [
    '',
    '**Import cost** (case 1): `await import(x)` of each dependency as installed in node_modules, timed with performance.now() inside a fresh `node --input-type=module` process, once per sample. (dist/ bundles them: the CLI loads none of these files, and undici and fast-glob only on the paths that use them.)',
    '',
    '| module | import time, median | net of the empty module | spread (min – max) |',
    '| --- | --- | --- | --- |',
  ];
  let empty: number | undefined;
  for (const [name, specifier] of targets) {
    const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await runOk({ cmd: NODE, args: ['--input-type=module', '-e', code], env });
      xs.push(Number(r.stdout));
    }
    const s: Stats = stats(xs);
    empty ??= s.median;
    lines.push(`| ${name} | ${ms(s.median)} | ${name.startsWith('(') ? '' : ms(s.median - empty)} | ${spread(s)} |`);
  }
  return lines;
}
