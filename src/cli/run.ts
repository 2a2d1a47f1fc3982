// The one exit point: runs the program (cli/program.ts) on argv, maps every error to an exit code
// (output/report.ts prints it), and, for the real process, wires stdio and signals. The ONLY place
// that touches process.exit.
import { CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { FdWriter } from '../output/fd-writer.js';
import { reportError } from '../output/report.js';
import { Stdout } from '../output/stdout.js';
import { buildProgram } from './program.js';

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function run(argv: string[], given: Io): Promise<number> {
  const io = withStdout(given);
  let code: number = EXIT.ok;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return errorCode(err, io);
  }
}

/**
 * The io commands get: stdout wrapped once (output/stdout.ts: neutralised on a terminal, and the
 * spinner cleared before anything reaches it). Its other properties are kept as they are, getters
 * included (main's stdin is made on first use).
 */
function withStdout(io: Io): Io {
  if (io.stdout instanceof Stdout) return io;
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(io)) as Io;
  copy.stdout = new Stdout(io.stdout);
  return copy;
}

/** commander printed its own message (and help and version end here too); everything else is reported. */
function errorCode(err: unknown, io: Io): number {
  if (!(err instanceof CommanderError)) return reportError(err, io);
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
  return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}

/** The process entry: wires real stdio and signals, then exits with the code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // `kimi-vision … | head -1`: the reader left; stop quietly.
  const readerGone = () => {
    controller.abort('EPIPE');
    process.exit(EXIT.ok);
  };
  const stdout = new FdWriter(
    1,
    () =>
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') readerGone();
      }),
    readerGone,
  );
  // Nobody is left to tell when stderr's reader is gone: the run goes on.
  const stderr = new FdWriter(2, () => process.stderr, () => {});
  const io: Io = {
    // Written without Node's streams until one is needed (output/fd-writer.ts): ~8 ms of a start.
    stdout,
    stderr,
    // Made on first use: Node builds the stream (and loads its module) when process.stdin is read,
    // a few milliseconds that only the commands reading stdin should pay.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    monotonicMs: () => performance.now(),
    epochMs: () => Date.now(),
    signal: controller.signal,
  };
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    controller.abort(signal);
    // Whatever is stuck (a read from a terminal, say) must not keep the user waiting.
    setTimeout(() => process.exit(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted), 2000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const code = await run(process.argv.slice(2), io);
  // Exit only once stdout is flushed: a large answer into a pipe must not be cut short.
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  process.exit(code);
}
