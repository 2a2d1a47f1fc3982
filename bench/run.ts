// `npm run bench [-- --quick] [-- --only memory,startup,wire,encoding,each,soak]`: side-by-side
// measurements of kimi-vision against `node -e 0`, curl and the naive openai-SDK baseline, with the
// emulator in this process. Prints a markdown table; writes it with the machine to bench/RESULTS.md
// (bench/.work/RESULTS.quick.md for --quick). Exits non-zero only when the bench itself breaks, never
// for a missed target (the table says MISSED).
import { mkdirSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../test/emulator/server.js';
import { perImageCase, soakCase } from './cases/each.js';
import { encodingCase } from './cases/encoding.js';
import { memoryCase } from './cases/memory.js';
import { startupCase } from './cases/startup.js';
import { wireCase } from './cases/wire.js';
import type { BenchContext } from './context.js';
import { WORK } from './fixtures.js';
import { commandVersion, pickRssMethod, ROOT } from './measure.js';
import { isMissed, machine, ms, table, type CaseResult, type Row } from './report.js';

const CASES: Record<string, (ctx: BenchContext) => Promise<CaseResult>> = {
  memory: memoryCase,
  startup: startupCase,
  wire: wireCase,
  encoding: encodingCase,
  each: perImageCase,
  soak: soakCase,
};

const loadavg = (): string => (os.loadavg()[0] ?? 0).toFixed(2);

/** The commit measured, and whether the work tree differs from it. */
function codeVersion(): string {
  const commit = commandVersion('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  if (!commit) return 'not a git checkout';
  const dirty = commandVersion('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'bin', 'package.json']);
  return `commit ${commit}${dirty ? ' + uncommitted changes in src/bin/package.json' : ''}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } }, strict: true });
  const quick = values.quick === true;
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(CASES);
  const unknown = only.filter((c) => !(c in CASES));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown case ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const loadBefore = loadavg();
  mkdirSync(WORK, { recursive: true });
  const rss = pickRssMethod(log);
  // The emulator adds an abort listener per waiting request; -j 16 is more than the default 10 warns at.
  EventEmitter.defaultMaxListeners = 100;
  const emu = await startEmulator({ splitWrites: false });
  const ctx: BenchContext = { quick, runs: quick ? 2 : 5, rss: rss.method, emu, log };
  const rows: Row[] = [];
  const extra: string[] = [];
  let broken = false;
  try {
    for (const name of only) {
      const t = performance.now();
      log(`bench: case ${name}…`);
      try {
        const r = await (CASES[name] as (ctx: BenchContext) => Promise<CaseResult>)(ctx);
        rows.push(...r.rows);
        extra.push(...(r.extra ?? []));
      } catch (err) {
        broken = true;
        const message = err instanceof Error ? err.message : String(err);
        log(`bench: case ${name} broke: ${err instanceof Error && err.stack ? err.stack : message}`);
        rows.push({ case: name, tool: '', median: '', spread: '', rss: '', target: `**ERROR**: ${message}` });
      }
      log(`bench: case ${name} took ${ms(performance.now() - t)}`);
    }
  } finally {
    await emu.close();
  }
  const notes = [
    `Runs: ${ctx.runs} per case${quick ? ' (--quick)' : ''}; start-up ${quick ? 6 : 20} rounds after 2 warm-ups. Every child gets a minimal environment (PATH, an isolated HOME; no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS).`,
    rss.note,
    `Code: ${codeVersion()}`,
    `curl: ${commandVersion('curl', ['--version']) ?? 'not found'}`,
    `Load average (1 min) at start / end: ${loadBefore} / ${loadavg()} (other work on the machine skews the timings)`,
    `Total bench time: ${ms(performance.now() - started)}`,
  ];
  const out = [...table(rows), ...extra];
  process.stdout.write(`${out.join('\n')}\n`);
  const missed = rows.filter(isMissed).length;
  log(`bench: ${rows.length} rows, ${missed} target${missed === 1 ? '' : 's'} missed${broken ? ', and a case broke' : ''}`);
  // Only a full run of every case replaces the committed results; partial and quick runs go to .work/.
  const partial = values.only !== undefined;
  const file = quick || partial ? path.join(WORK, quick ? 'RESULTS.quick.md' : 'RESULTS.partial.md') : path.join(ROOT, 'bench', 'RESULTS.md');
  const doc = [
    `# Benchmark results${quick ? ' (--quick smoke run)' : ''}`,
    '',
    'Written by `npm run bench`; see bench/README.md for what each case measures.',
    '',
    ...machine(notes),
    '',
    ...out,
    '',
  ];
  writeFileSync(file, doc.join('\n'));
  log(`bench: wrote ${path.relative(ROOT, file)}`);
  return broken ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
