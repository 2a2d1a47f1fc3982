// What a command may touch of the outside world, injected so tests can fake it.
import type { Readable } from 'node:stream';
import { InputError } from './errors.js';
import { MAX_BODY_BYTES } from './limits.js';

interface Tty {
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

/** The most of stdin worth reading: more could not be sent, since its base64 alone would be over the body limit. */
const MAX_STDIN_BYTES = Math.floor(MAX_BODY_BYTES / 4) * 3;

/**
 * Reads a stream to its end, like a file is read: at most `limit` bytes, so `- < /dev/zero` stops
 * (exit 3) once past the limit instead of reading gigabytes into memory.
 */
export async function readAll(stream: Readable, limit = MAX_STDIN_BYTES): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += part.length;
    if (size > limit) {
      stream.destroy(); // stop reading; what was read is dropped with the parts
      throw new InputError(
        `-: stdin holds more than ${(limit / 1048576).toFixed(0)} MB; encoded it would be over the API's 100 MB request limit.`,
        'Shrink or re-encode it (e.g. to JPEG) first.',
      );
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}
