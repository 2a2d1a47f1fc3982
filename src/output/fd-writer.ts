// stdout and stderr for the real process, without Node's streams until something needs one.
//
// Reading process.stdout or process.stderr makes Node build a net.Socket (on a pipe) or a
// tty.WriteStream (on a terminal), loading node:net and the stream machinery: ~8 ms, a quarter of
// a bare Node start, for a run that prints a few lines into a pipe. An FdWriter writes straight to
// the file descriptor with fs.writeSync instead (what Node's own stream does for files and, on
// POSIX, terminals), and hands over to the real stream for good, so the order of the output is
// kept, as soon as a write cannot complete at once (EAGAIN: a full non-blocking pipe) or something
// needs the stream itself (a spinner, readline: see `streamOf`).
//
// A write that fails for any reason but a reader gone (EPIPE) or a full pipe (EAGAIN) -- a full
// disk, /dev/full, an I/O error, a closed descriptor -- ends the output: the failure is kept (see
// `failure`, and OutputError for how it reads), the owner is told once, and later writes are dropped.
// It is never thrown into the code that wrote, where the network client would take it for a broken
// connection; the entry (cli/run.ts) reports it and exits 74.
import { fstatSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { EXIT, KvError } from '../errors.js';
import type { Output } from '../io.js';
import { errnoWords } from '../store/store-error.js';

type RealStream = NodeJS.WriteStream;

export type OutputName = 'stdout' | 'stderr';

/** stdout or stderr could not be written: exit 74 (EX_IOERR), as for a file the tool keeps. */
export class OutputError extends KvError {
  readonly code: string;
  constructor(
    readonly stream: OutputName,
    err: unknown,
  ) {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
    const what = code === 'EBADF' ? 'it is closed' : errnoWords(code);
    super(
      EXIT.io,
      `cannot write to ${stream}: ${what} (${code}).`,
      code === 'EBADF'
        ? `Run it with ${stream} open (not ${stream === 'stdout' ? '>&-' : '2>&-'}).`
        : `Send ${stream} to a disk or device with room; what was written before stays.`,
    );
    this.name = 'OutputError';
    this.code = code;
  }
}

export class FdWriter implements Output {
  private real: RealStream | undefined;
  private tty: boolean | undefined;
  private failed: NodeJS.ErrnoException | undefined;

  /**
   * @param open gives the real stream (process.stdout / process.stderr) the first time it is needed.
   * @param onBrokenPipe runs when the reader is gone (EPIPE), in a direct write or in the stream.
   * @param onFailure runs once, when a write fails otherwise (ENOSPC, EIO, …): see `failure`.
   */
  constructor(
    private readonly fd: number,
    private readonly open: () => RealStream,
    private readonly onBrokenPipe: () => void,
    private readonly onFailure: (err: NodeJS.ErrnoException) => void = () => {},
  ) {}

  /** The write error that ended this output, if one did; nothing written after it goes anywhere. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.failed;
  }

  /** The real stream, made now if it was not yet: from here on every write goes through it. Its
   *  errors are ours to handle (an 'error' nobody listens to would end the process). */
  get stream(): RealStream {
    if (!this.real) {
      this.real = this.open();
      this.real.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? this.onBrokenPipe() : this.fail(err)));
    }
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
    if (this.failed) return this.dropped(done);
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
      if (code === 'EAGAIN') return this.stream.write(data, done); // the rest, and all later writes, through the stream
      this.fail(err as NodeJS.ErrnoException);
      return this.dropped(done);
    }
    if (done) process.nextTick(done);
    return true;
  }

  /** Resolves once everything written has reached the descriptor (or the output has failed). */
  flushed(): Promise<void> {
    const real = this.real;
    if (!real || this.failed || real.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      real.write('', () => resolve());
      real.once('error', () => resolve());
    });
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = err;
    this.onFailure(err);
  }

  private dropped(done: ((err?: Error | null) => void) | undefined): boolean {
    if (done) process.nextTick(done, this.failed);
    return false;
  }
}

/** The stream behind an output, for what needs a whole Writable (ora, readline). */
export function streamOf(out: Output): Writable {
  return out instanceof FdWriter ? out.stream : (out as Writable);
}
