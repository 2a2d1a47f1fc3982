// stdout and stderr for the real process, without Node's streams until something needs one.
//
// Reading process.stdout or process.stderr makes Node build a net.Socket (on a pipe) or a
// tty.WriteStream (on a terminal), loading node:net and the stream machinery: ~8 ms, a quarter of
// a bare Node start, for a run that prints a few lines into a pipe. An FdWriter writes straight to
// the file descriptor with fs.writeSync instead (what Node's own stream does for files and, on
// POSIX, terminals), and hands over to the real stream for good, so the order of the output is
// kept, as soon as a write cannot complete at once (EAGAIN: a full non-blocking pipe) or something
// needs the stream itself (a spinner, readline: see `streamOf`).
import { fstatSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Output } from '../io.js';

type RealStream = NodeJS.WriteStream;

export class FdWriter implements Output {
  private real: RealStream | undefined;
  private tty: boolean | undefined;

  /**
   * @param open gives the real stream (process.stdout / process.stderr) the first time it is needed.
   * @param onBrokenPipe runs when the reader is gone (EPIPE) during a direct write.
   */
  constructor(
    private readonly fd: number,
    private readonly open: () => RealStream,
    private readonly onBrokenPipe: () => void,
  ) {}

  /** The real stream, made now if it was not yet: from here on every write goes through it. */
  get stream(): RealStream {
    this.real ??= this.open();
    return this.real;
  }

  /** A terminal? Only a character device can be one: pipes and files are told apart without node:tty. */
  get isTTY(): boolean {
    if (this.real) return this.real.isTTY === true;
    if (this.tty === undefined) {
      let device = false;
      try {
        device = fstatSync(this.fd).isCharacterDevice();
      } catch {}
      this.tty = device && process.getBuiltinModule('node:tty').isatty(this.fd);
    }
    return this.tty;
  }

  get columns(): number | undefined {
    return this.isTTY ? this.stream.columns : undefined;
  }

  write(chunk: string | Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.real) return this.real.write(chunk, done);
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    try {
      while (data.length > 0) data = data.subarray(writeSync(this.fd, data));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        this.onBrokenPipe();
        return false;
      }
      if (code !== 'EAGAIN') throw err;
      return this.stream.write(data, done); // the rest, and all later writes, through the stream
    }
    if (done) process.nextTick(done);
    return true;
  }

  /** Resolves once everything written has reached the descriptor. */
  flushed(): Promise<void> {
    const real = this.real;
    return real ? new Promise((resolve) => real.write('', () => resolve())) : Promise.resolve();
  }
}

/** The stream behind an output, for what needs a whole Writable (ora, readline). */
export function streamOf(out: Output): Writable {
  return out instanceof FdWriter ? out.stream : (out as Writable);
}
