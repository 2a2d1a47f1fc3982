// How far a --each run may get ahead of what it has put out. Results go to stdout in input order,
// so a slow early image holds every later result back, and a slow reader of stdout (a pipe into a
// slow program) leaves written output queued in the process: either would grow with the run. An
// image starts only when it is within `window` of the first result not yet out, and while less than
// `maxUnflushed` bytes are written but not yet taken by stdout. No IO of its own.

export interface BacklogOptions {
  /** Images that may finish ahead of the first one not put out yet. */
  window: number;
  /** Bytes written to stdout and not yet flushed before new images wait. */
  maxUnflushed: number;
  /** Aborting it lets every waiter go (the run is stopping). */
  signal: AbortSignal;
}

export class Backlog {
  /** The index of the first result not put out yet. */
  private out = 0;
  private unflushed = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly o: BacklogOptions) {
    o.signal.addEventListener('abort', () => this.wake(), { once: true });
  }

  /** Resolves once image `index` may start (at once when it may, or when the run stops). */
  room(index: number): Promise<void> | undefined {
    if (this.fits(index)) return undefined;
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.fits(index)) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Results up to `next` (exclusive) are out. */
  putOut(next: number): void {
    this.out = next;
    this.wake();
  }

  /** `bytes` were written; the returned function says they were flushed. */
  wrote(bytes: number): () => void {
    this.unflushed += bytes;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unflushed -= bytes;
      this.wake();
    };
  }

  private fits(index: number): boolean {
    return this.o.signal.aborted || (index < this.out + this.o.window && this.unflushed < this.o.maxUnflushed);
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const check of waiting) check();
  }
}
