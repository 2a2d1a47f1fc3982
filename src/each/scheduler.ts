// The shared pace of a --each run: at most `limit` requests in flight, a minimum spacing between
// request starts (--rpm), and ONE pause for every worker when the API says "rate limited".
// No IO of its own: time comes from an injected clock, so tests drive it with a fake one.

export interface Clock {
  now(): number;
  /** Resolves after ms; rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface PaceOptions {
  /** Most requests in flight at once (the -j ceiling; the live limit may drop below it). */
  concurrency: number;
  /** Requests per minute: starts are spaced at least 60,000 / rpm ms apart. */
  rpm?: number | undefined;
  clock: Clock;
  /** Aborting it rejects every waiting and future acquire() with Stopped. */
  signal: AbortSignal;
}

/** Thrown by acquire() once the run is stopped (Ctrl-C, --fail-fast). */
export class Stopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'Stopped';
  }
}

export type Release = () => void;

interface Waiter {
  priority: number;
  resolve: (release: Release) => void;
  reject: (err: Error) => void;
}

export class Pace {
  /** The live concurrency limit: lowered on rate limits, raised back after successes. */
  limit: number;
  readonly max: number;
  inFlight = 0;
  /** Highest inFlight seen. */
  peak = 0;
  private readonly interval: number;
  private nextStart = -Infinity;
  private pausedUntil = -Infinity;
  private successes = 0;
  private waiters: Waiter[] = [];
  private waking = false;
  private readonly clock: Clock;
  private readonly signal: AbortSignal;

  constructor(o: PaceOptions) {
    if (!(o.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.max = Math.floor(o.concurrency);
    this.limit = this.max;
    this.interval = o.rpm !== undefined && o.rpm > 0 ? 60_000 / o.rpm : 0;
    this.clock = o.clock;
    this.signal = o.signal;
    this.signal.addEventListener('abort', () => this.stopAll(), { once: true });
  }

  /**
   * Waits for a slot (and for the pause and the rpm spacing), then returns its release function.
   * Lower `priority` goes first: pass the image index so retries of early images jump the queue.
   */
  acquire(priority = 0): Promise<Release> {
    if (this.signal.aborted) return Promise.reject(new Stopped());
    return new Promise<Release>((resolve, reject) => {
      const w: Waiter = { priority, resolve, reject };
      const at = this.waiters.findIndex((x) => x.priority > priority);
      if (at === -1) this.waiters.push(w);
      else this.waiters.splice(at, 0, w);
      this.pump();
    });
  }

  /**
   * The API said "rate limited, try again after waitMs": nobody starts a request before then.
   * The first such answer of a pause also halves the limit (answers from requests that were
   * already in flight during that pause do not lower it again). Returns true when this answer
   * began a new pause.
   */
  rateLimited(waitMs: number): boolean {
    const now = this.clock.now();
    const fresh = now >= this.pausedUntil;
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(0, waitMs));
    this.successes = 0;
    if (fresh) this.limit = Math.max(1, Math.floor(this.limit / 2));
    return fresh;
  }

  /** A request succeeded: after `limit` successes in a row the limit grows by one, up to -j. */
  succeeded(): void {
    this.successes += 1;
    if (this.limit < this.max && this.successes >= this.limit) {
      this.limit += 1;
      this.successes = 0;
      this.pump();
    }
  }

  /** When the pause ends (for messages); -Infinity when there is none. */
  get pauseEndsAt(): number {
    return this.pausedUntil;
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.inFlight < this.limit) {
      const now = this.clock.now();
      const at = Math.max(this.pausedUntil, this.nextStart);
      if (now < at) {
        this.wakeAt(at - now);
        return;
      }
      const w = this.waiters.shift() as Waiter;
      this.inFlight += 1;
      this.peak = Math.max(this.peak, this.inFlight);
      this.nextStart = now + this.interval;
      w.resolve(this.releaser());
    }
  }

  /** One pending wake-up at a time; when it fires, pump() looks again (the pause may have grown). */
  private wakeAt(ms: number): void {
    if (this.waking) return;
    this.waking = true;
    this.clock.sleep(ms, this.signal).then(
      () => {
        this.waking = false;
        this.pump();
      },
      () => {
        this.waking = false;
      },
    );
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= 1;
      this.pump();
    };
  }

  private stopAll(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(new Stopped());
  }
}
