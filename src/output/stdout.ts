// stdout as commands write it. On a terminal, what they write is neutralised (sanitize.ts): the
// answer, file names and everything else from outside shows its control characters instead of
// obeying them; into a pipe or a file it goes byte for byte. And whatever reaches stdout first tells
// the spinner on stderr (terminal.ts), which clears its line so the two never share one.
import type { Output } from '../io.js';
import { neutralize } from './sanitize.js';

export interface StdoutWatcher {
  before(chunk: string | Uint8Array): void;
  after(chunk: string | Uint8Array): void;
}

export class Stdout implements Output {
  private watcher: StdoutWatcher | undefined;
  private tty: boolean | undefined;
  /** Bytes written in pieces are decoded as one text: a character split between writes stays one. */
  private decoder: InstanceType<typeof TextDecoder> | undefined;

  constructor(private readonly inner: Output) {}

  get isTTY(): boolean {
    return this.inner.isTTY === true;
  }

  get columns(): number | undefined {
    return this.inner.columns;
  }

  /** Who is told before and after each write (the spinner), or nobody. */
  watch(watcher: StdoutWatcher | undefined): void {
    this.watcher = watcher;
  }

  get watching(): StdoutWatcher | undefined {
    return this.watcher;
  }

  write(chunk: string | Uint8Array, done?: (err?: Error | null) => void): boolean {
    const watcher = this.watcher;
    watcher?.before(chunk);
    // Decided at the first write: a run that prints nothing never asks what stdout is.
    this.tty ??= this.inner.isTTY === true;
    const ok = this.inner.write(this.tty ? this.neutralized(chunk) : chunk, done);
    watcher?.after(chunk);
    return ok;
  }

  private neutralized(chunk: string | Uint8Array): string {
    if (typeof chunk !== 'string') {
      this.decoder ??= new TextDecoder();
      return neutralize(this.decoder.decode(chunk, { stream: true }));
    }
    const pending = this.decoder?.decode() ?? ''; // the end of a character cut off by the bytes before
    return neutralize(pending + chunk);
  }
}

/** Whether a piece of output ends its line. */
export function endsLine(chunk: string | Uint8Array): boolean {
  return typeof chunk === 'string' ? chunk.endsWith('\n') : chunk[chunk.length - 1] === 0x0a;
}
