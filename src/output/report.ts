// How an error reads on stderr: one line (and a hint), neutralised (its message may come from a
// server or name a file), coloured by the one colour decision; and the exit code it stands for.
import { EXIT, KvError } from '../errors.js';
import type { Io } from '../io.js';
import { colorEnabled, palette } from './colors.js';
import { neutralize } from './sanitize.js';

/** Prints `err` for the user and returns its exit code (1 for what is not a KvError: a bug). */
export function reportError(err: unknown, io: Io): number {
  const color = palette(colorEnabled(io.env, io.stderr.isTTY === true));
  const dim = (s: string) => color.dim(neutralize(s));
  if (err instanceof KvError) {
    if (err.exitCode === EXIT.interrupted || err.exitCode === EXIT.terminated) {
      io.stderr.write(`${dim('interrupted')}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${color.red('error:')} ${neutralize(err.message)}\n`);
    if (err.hint) io.stderr.write(`${dim(err.hint)}\n`);
    return err.exitCode;
  }
  io.stderr.write(`${color.red('internal error:')} ${neutralize((err as Error)?.message ?? String(err))}\n`);
  io.stderr.write(`${dim('This is a bug in kimi-vision; please report it with the command you ran (KIMI_VISION_DEBUG=1 shows more).')}\n`);
  if (io.env.KIMI_VISION_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${dim(err.stack)}\n`);
  return EXIT.internal;
}
