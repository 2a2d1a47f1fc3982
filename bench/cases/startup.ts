// Case 2: start-up. `--help`, `--version` and `describe --dry-run` on 10 small images against a bare
// `node -e 0` (target: median at most 1.5x), and the import cost of each dependency.
import type { BenchContext } from '../context.js';
import { imageSet } from '../fixtures.js';
import { BIN, childEnv, NODE, runOk, stats, type Stats } from '../measure.js';
import { ms, spread, verdict, type CaseResult, type Row } from '../report.js';

const DEPS = ['commander', 'undici', 'fast-glob', 'eventsource-parser'];

export async function startupCase(ctx: BenchContext): Promise<CaseResult> {
  // Each start is ~50 ms, so take more samples than the heavier cases.
  const runs = ctx.quick ? 6 : 20;
  const small = imageSet('small-10', 10, 4096, { width: 800, height: 600 });
  const env = childEnv();
  const commands: { tool: string; args: string[] }[] = [
    { tool: 'node -e 0', args: ['-e', '0'] },
    { tool: 'kimi-vision --help', args: [BIN, '--help'] },
    { tool: 'kimi-vision --version', args: [BIN, '--version'] },
    { tool: 'kimi-vision describe --dry-run (10 images)', args: [BIN, 'describe', '--dry-run', ...small.files] },
  ];
  // A diagnostic row: the same dry run with the shim's V8 code cache off (what every run costs
  // without it, e.g. the first run of a command after an install).
  const noCodeCache = { tool: 'describe --dry-run (10 images), code cache off', args: [BIN, 'describe', '--dry-run', ...small.files] };
  commands.push(noCodeCache);
  const samples = commands.map(() => [] as number[]);
  // Two warm-up rounds (page cache), then interleaved rounds so drift hits every command alike.
  for (let i = -2; i < runs; i++) {
    if (i === 0 || i === -2) ctx.log(`start-up: ${i < 0 ? 'warm-up' : `${runs} rounds`}`);
    for (const [k, c] of commands.entries()) {
      const r = await runOk({ cmd: NODE, args: c.args, env: c === noCodeCache ? { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } : env });
      if (i >= 0) samples[k]?.push(r.wallMs);
    }
  }
  const node = stats(samples[0] as number[]);
  const rows: Row[] = commands.map((c, k) => {
    const s = stats(samples[k] as number[]);
    return {
      case: '2. start-up (wall time, spawn to exit)',
      tool: c.tool,
      median: ms(s.median),
      spread: spread(s),
      rss: '',
      target: k === 0 ? 'baseline' : c === noCodeCache ? `diagnostic: ${(s.median / node.median).toFixed(2)}x node -e 0` : verdict(s.median / node.median, 1.5, 'node -e 0'),
    };
  });
  return { rows, extra: await importCosts(ctx, runs) };
}

/** Time of `await import(x)` in a fresh process each, measured in-process with performance.now(). */
async function importCosts(ctx: BenchContext, runs: number): Promise<string[]> {
  ctx.log('start-up: import cost of each dependency');
  const env = childEnv();
  const targets: [string, string][] = [
    ['(an empty module: the ESM loader\'s own cost)', 'data:text/javascript,export default 0'],
    ...DEPS.map((d): [string, string] => [d, d]),
  ];
  const lines = [
    '',
    '**Import cost** (case 2): `await import(x)` of each dependency as installed in node_modules, timed with performance.now() inside a fresh `node --input-type=module` process, once per sample. (dist/ bundles them: the CLI loads none of these files.)',
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
