// The commander program: every command (registered by cli/register/, with the shared option
// builders of options.ts), each lazy-loading the module that runs it. A run builds only the command
// argv names.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Io } from '../io.js';
import { neutralize } from '../output/sanitize.js';
import type { SetExit } from './options.js';
import { registerAlt } from './register/alt.js';
import { registerBatch } from './register/batch.js';
import { registerBalance, registerConfig, registerModels, registerSessions } from './register/account.js';
import { registerChat, registerDescribe } from './register/describe.js';
import { registerDiff } from './register/diff.js';

/** Set in dist/ by scripts/build.mjs, so a run reads no package.json. */
declare const KV_VERSION: string | undefined;

function version(): string {
  if (typeof KV_VERSION === 'string') return KV_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Register = (program: Command, io: Io, setExit: SetExit) => void;

/**
 * Set in dist/ by scripts/build.mjs for the bundle that carries describe alone (dist/describe.cjs,
 * what most runs load): the other commands are left out of it, and with them their code.
 */
declare const KV_DESCRIBE_ONLY: boolean | undefined;

/** Each command as it registers itself on the program (cli/register/). */
const ALL: Record<string, Register> = {
  describe: registerDescribe,
  diff: registerDiff,
  alt: registerAlt,
  chat: registerChat,
  sessions: registerSessions,
  models: registerModels,
  balance: registerBalance,
  config: registerConfig,
  batch: registerBatch,
};
const COMMANDS: Record<string, Register> = typeof KV_DESCRIBE_ONLY === 'boolean' && KV_DESCRIBE_ONLY ? { describe: registerDescribe } : ALL;

/**
 * The program, with every command, or only the one `argv` runs when its first word names one: a run
 * builds the options of one command, not of all (100-odd commander options, a few ms of each start).
 * Anything else (no command, a typo commander suggests a fix for, `help`) gets them all.
 */
export function buildProgram(io: Io, setExit: SetExit, argv?: readonly string[]): Command {
  const program = new Command('kimi-vision')
    .description("Describe images with Moonshot's Kimi vision models.")
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(neutralize(s)),
    });
  const first = argv?.[0];
  const only = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of only) COMMANDS[name]?.(program, io, setExit);
  return program;
}

/** The version and every command's help, as `--help` prints them (80 columns): dist/help.json. */
export function renderHelp(): { version: string; help: Record<string, string> } {
  const io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: {},
    cwd: '.',
    monotonicMs: () => 0,
    epochMs: () => 0,
    signal: new AbortController().signal,
  } as unknown as Io;
  const help: Record<string, string> = {};
  const walk = (cmd: Command, path: string[]) => {
    cmd.configureOutput({ getOutHelpWidth: () => 80 });
    help[path.join(' ')] = cmd.helpInformation();
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(
    buildProgram(io, () => {}),
    [],
  );
  return { version: version(), help };
}
