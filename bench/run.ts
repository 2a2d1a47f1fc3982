// `npm run bench [-- --quick] [-- --only startup,memory,…] [-- --node 22,24]`: side-by-side
// measurements of kimi-vision against `node -e 0`, curl and the naive openai-SDK baseline. Prints a
// markdown table per Node; writes them with the machine to bench/RESULTS.md (a full run), or to
// bench/.work/RESULTS.quick.md / RESULTS.partial.md. Exits non-zero only when the bench itself
// breaks, never for a missed target (the table says MISSED).
//
// Without --node it measures on the Node that runs it (the first on PATH); with --node it runs
// itself once per major version, on the binaries CI uses (bench/nodes.ts), and collects the tables.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../test/emulator/server.js';
import { soakCase, throughputCase } from './cases/each.js';
import { encodingCase } from './cases/encoding.js';
import { flatCase } from './cases/flat.js';
import { memoryCase } from './cases/memory.js';
import { startupCase } from './cases/startup.js';
import { wireCase } from './cases/wire.js';
import type { BenchContext } from './context.js';
import { startEmulatorProcess } from './emulator-process.js';
import { WORK } from './fixtures.js';
import { commandVersion, pickRssMethod, removeHomes, ROOT } from './measure.js';
import { nodeBinary, nodeBinDir, parseMajors } from './nodes.js';
import { isMissed, machine, ms, table, type CaseResult, type Row } from './report.js';

const CASES: Record<string, (ctx: BenchContext) => Promise<CaseResult>> = {
  startup: startupCase,
  memory: memoryCase,
  flat: flatCase,
  wire: wireCase,
  throughput: throughputCase,
  encoding: encodingCase,
  soak: soakCase,
};

const loadavg = (): string => (os.loadavg()[0] ?? 0).toFixed(2);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The commit measured, and whether the work tree differs from it. */
function codeVersion(): string {
  const commit = commandVersion('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  if (!commit) return 'not a git checkout';
  const dirty = commandVersion('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'bin', 'package.json']);
  return `commit ${commit}${dirty ? ' + uncommitted changes in src/bin/package.json' : ''}`;
}

interface Options {
  quick: boolean;
  only: string[];
  partial: boolean;
}

/** Runs the cases on this process's Node; returns its section of the results and whether a case broke. */
async function measureHere(o: Options): Promise<{ section: string[]; broken: boolean; missed: number }> {
  const started = performance.now();
  const loadBefore = loadavg();
  mkdirSync(WORK, { recursive: true });
  const rss = pickRssMethod(log);
  // The emulator adds an abort listener per waiting request; -j 16 is more than the default 10 warns at.
  EventEmitter.defaultMaxListeners = 100;
  const emu = await startEmulator({ splitWrites: false });
  const remote = await startEmulatorProcess({ splitWrites: false });
  const ctx: BenchContext = { quick: o.quick, runs: o.quick ? 2 : 5, rss: rss.method, emu, remote, log };
  const rows: Row[] = [];
  const extra: string[] = [];
  let broken = false;
  try {
    for (const name of o.only) {
      const t = performance.now();
      log(`bench: ${process.version}: case ${name}…`);
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
    await Promise.all([emu.close(), remote.close()]);
    removeHomes();
  }
  const notes = [
    `Runs: ${ctx.runs} per case${o.quick ? ' (--quick)' : ''} unless the row says otherwise; start-up ${o.quick ? 6 : 20} rounds after 2 warm-ups. Every child gets a minimal environment (PATH, an isolated HOME and compile-cache folder; no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS).`,
    rss.note,
    "The emulator runs in a process of its own (bench/emulator-child.ts) for every case but the wire case, which times its writes on the bench's clock.",
    `Code: ${codeVersion()}`,
    `curl: ${commandVersion('curl', ['--version']) ?? 'not found'}`,
    `Load average (1 min) at start / end: ${loadBefore} / ${loadavg()} (other work on the machine skews the timings)`,
    `Total bench time: ${ms(performance.now() - started)}`,
  ];
  const section = [`## Node ${process.version}`, '', ...machine(notes), '', ...table(rows), ...extra, ''];
  return { section, broken, missed: rows.filter(isMissed).length };
}

/** Runs this script once per Node major (`--node 22,24`), each writing its section to a file. */
function measureOnNodes(majors: string[], passOn: string[]): { section: string[]; broken: boolean } {
  const section: string[] = [];
  let broken = false;
  for (const major of majors) {
    const node = nodeBinary(major, log);
    const out = path.join(WORK, `section-${major}.md`);
    rmSync(out, { force: true });
    log(`bench: ==== Node ${major} (${node})`);
    const r = spawnSync(node, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...passOn, '--section', out], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PATH: `${nodeBinDir(major)}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    if (r.status !== 0) broken = true;
    try {
      section.push(...readFileSync(out, 'utf8').split('\n'));
    } catch {
      broken = true;
      section.push(`## Node ${major}`, '', `**ERROR**: the run on Node ${major} wrote no results (exit ${r.status ?? r.signal}).`, '');
    }
  }
  return { section, broken };
}

function writeResults(o: Options, sections: string[]): void {
  const file = o.quick || o.partial ? path.join(WORK, o.quick ? 'RESULTS.quick.md' : 'RESULTS.partial.md') : path.join(ROOT, 'bench', 'RESULTS.md');
  const doc = [`# Benchmark results${o.quick ? ' (--quick smoke run)' : ''}`, '', 'Written by `npm run bench`; see bench/README.md for what each case measures.', '', ...sections];
  writeFileSync(file, doc.join('\n'));
  log(`bench: wrote ${path.relative(ROOT, file)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, node: { type: 'string' }, section: { type: 'string' } },
    strict: true,
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(CASES);
  const unknown = only.filter((c) => !(c in CASES));
  if (unknown.length > 0) {
    log(`bench: unknown case ${unknown.join(', ')}; cases: ${Object.keys(CASES).join(', ')}`);
    return 2;
  }
  const o: Options = { quick: values.quick === true, only, partial: values.only !== undefined };
  if (values.node !== undefined) {
    const passOn = [...(o.quick ? ['--quick'] : []), ...(values.only ? ['--only', values.only] : [])];
    const { section, broken } = measureOnNodes(parseMajors(values.node), passOn);
    process.stdout.write(`${section.join('\n')}\n`);
    writeResults(o, section);
    return broken ? 1 : 0;
  }
  const { section, broken, missed } = await measureHere(o);
  log(`bench: ${missed} target${missed === 1 ? '' : 's'} missed${broken ? ', and a case broke' : ''}`);
  if (values.section !== undefined) {
    writeFileSync(values.section, section.join('\n'));
    return broken ? 1 : 0;
  }
  process.stdout.write(`${section.join('\n')}\n`);
  writeResults(o, section);
  return broken ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
