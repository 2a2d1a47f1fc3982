// What a command may touch of the outside world, injected so tests can fake it.
import type { Readable, Writable } from 'node:stream';

export interface Tty {
  isTTY?: boolean;
  columns?: number;
}

/** Where commands write: a Writable (tests), or for the real process an FdWriter (output/fd-writer.ts). */
export interface Output extends Tty {
  write(chunk: string | Uint8Array, done?: (err?: Error | null) => void): boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: Readable & Tty;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Monotonic milliseconds (performance.now): for elapsed time and pacing, never compared with dates. */
  monotonicMs: () => number;
  /** Wall-clock milliseconds since the epoch (Date.now): for what is compared with dates (Retry-After). */
  epochMs: () => number;
  /** Aborted on Ctrl-C / SIGTERM; commands pass it to every request. */
  signal: AbortSignal;
}

/** Reads a stream to its end. */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts);
}
