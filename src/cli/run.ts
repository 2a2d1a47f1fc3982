// The one exit point: runs the program (cli/program.ts) on argv, maps every error to an exit code
// (output/report.ts prints it), and, for the real process, wires stdio and signals. The ONLY place
// that touches process.exit, and every way out removes what an interrupted run leaves (the
// temporaries of atomic writes in flight, the locks it holds: store/pending.ts).
import { CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import type { Io, Output } from '../io.js';
import { FdWriter, OutputError } from '../output/fd-writer.js';
import { reportError } from '../output/report.js';
import { Stdout } from '../output/stdout.js';
import { removePendingTemps } from '../store/pending.js';
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
  let failure: { err: unknown } | undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    failure = { err };
  }
  // stdout failed: the run was stopped for it, and what the command then threw is that stop.
  if (failureOf(given.stdout)) return reportOutputFailure(given, io, undefined);
  if (failure) code = errorCode(failure.err, io);
  // stderr failed (maybe just now, with the error): what it could not carry goes to stdout.
  return outputFailed(given) ? reportOutputFailure(given, io, failure?.err) : code;
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

const failureOf = (out: Output) => (out instanceof FdWriter ? out.failure : undefined);
const reported = new WeakSet<object>();

function outputFailed(io: Io): boolean {
  return [io.stdout, io.stderr].some((out) => failureOf(out) !== undefined && !reported.has(out));
}

/**
 * stdout or stderr could not be written (a full disk, /dev/full, an I/O error): exit 74, said on the
 * stream that still works. When stdout failed, the run was stopped (main aborts it), so whatever the
 * command then threw is that stop, not news. When stderr failed, its messages are lost: the error of
 * the run, if any, and the failure go to stdout instead, the one place left.
 */
function reportOutputFailure(given: Io, io: Io, err: unknown): number {
  for (const out of [given.stdout, given.stderr]) reported.add(out);
  const stdoutFailure = failureOf(given.stdout);
  if (stdoutFailure) return reportError(new OutputError('stdout', stdoutFailure), io);
  const onStdout: Io = { ...io, stderr: io.stdout };
  if (err !== undefined && !(err instanceof CommanderError)) reportError(err, onStdout);
  return reportError(new OutputError('stderr', failureOf(given.stderr)), onStdout);
}

/** Leaves now: what an interrupted run left behind is removed first (an exit handler cannot await). */
function exitNow(code: number): never {
  removePendingTemps();
  process.exit(code);
}

/** The process entry: wires real stdio and signals, then exits with the code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // `kimi-vision … | head -1`: the reader left; stop quietly.
  const readerGone = () => {
    controller.abort('EPIPE');
    exitNow(EXIT.ok);
  };
  // stdout that cannot be written (a full disk): nothing more can be delivered, so the run stops
  // (what is done stays done) and run() reports it.
  const stdout = new FdWriter(
    1,
    () => process.stdout,
    readerGone,
    () => controller.abort('output'),
  );
  // Nobody is left to tell when stderr's reader is gone, or its disk is full: the run goes on.
  const stderr = new FdWriter(
    2,
    () => process.stderr,
    () => {},
  );
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
    if (controller.signal.aborted) exitNow(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    controller.abort(signal);
    // Whatever is stuck (a read from a terminal, say) must not keep the user waiting.
    setTimeout(() => exitNow(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted), 2000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  let code = await run(process.argv.slice(2), io);
  // Exit only once stdout is flushed: a large answer into a pipe must not be cut short.
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  // A failure of the last writes, which only the flush saw.
  if (outputFailed(io)) code = reportOutputFailure(io, io, undefined);
  exitNow(code);
}
