// The shared pace of a --each run: at most `limit` requests in flight, a minimum spacing between
// request starts (--rpm), and ONE pause for every worker when the API says "rate limited".
// No IO of its own: time comes from an injected clock, so tests drive it with a fake one.

export interface Clock {
  /** Monotonic ms: pacing never compares with dates. */
  monotonicMs(): number;
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

/** A granted request slot: release it when the request is over (success or not). */
export interface Slot {
  release(): void;
  /** The request answered: counts toward raising the limit again (if it started since the last pause). */
  succeeded(): void;
}

/** What a rate-limit answer says about the account's limits ("max organization concurrency: 2", "max RPM: 3"). */
export interface LimitHint {
  concurrency?: number | undefined;
  rpm?: number | undefined;
}

interface Waiter {
  priority: number;
  resolve: (slot: Slot) => void;
  reject: (err: Error) => void;
}

export class Pace {
  /** The live concurrency limit: lowered on rate limits, raised back after successes. */
  limit: number;
  readonly max: number;
  inFlight = 0;
  /** Highest inFlight seen. */
  peak = 0;
  /** Never raised above this again: the concurrency the API said the account has. */
  private ceiling: number;
  /** Minimum ms between two request starts: from --rpm, or the RPM the API named. */
  private interval: number;
  private lastStart = -Infinity;
  private pausedUntil = -Infinity;
  /** Bumped by each pause: successes of requests started before it do not raise the limit. */
  private epoch = 0;
  private successes = 0;
  private waiters: Waiter[] = [];
  private waking = false;
  /** Work that must settle before anything new starts (the fallback model being looked up). */
  private holds = 0;
  private readonly clock: Clock;
  private readonly signal: AbortSignal;

  constructor(o: PaceOptions) {
    if (!(o.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.max = Math.floor(o.concurrency);
    this.limit = this.max;
    this.ceiling = this.max;
    this.interval = o.rpm !== undefined && o.rpm > 0 ? 60_000 / o.rpm : 0;
    this.clock = o.clock;
    this.signal = o.signal;
    this.signal.addEventListener('abort', () => this.stopAll(), { once: true });
  }

  /**
   * Waits for a slot (and for the pause and the rpm spacing), then returns it.
   * Lower `priority` goes first: pass the image index so retries of early images jump the queue.
   */
  acquire(priority = 0): Promise<Slot> {
    if (this.signal.aborted) return Promise.reject(new Stopped());
    return new Promise<Slot>((resolve, reject) => {
      const w: Waiter = { priority, resolve, reject };
      const last = this.waiters[this.waiters.length - 1];
      const at = !last || last.priority <= priority ? -1 : this.waiters.findIndex((x) => x.priority > priority);
      if (at === -1) this.waiters.push(w);
      else this.waiters.splice(at, 0, w);
      this.pump();
    });
  }

  /**
   * The API said "rate limited, try again after waitMs": nobody starts a request before then.
   * The first such answer of a pause also halves the limit (answers from requests that were
   * already in flight during that pause do not lower it again). A concurrency the API names caps
   * the limit for the rest of the run; an RPM it names spaces the starts. Returns true when this
   * answer began a new pause.
   */
  rateLimited(waitMs: number, hint: LimitHint = {}): boolean {
    const now = this.clock.monotonicMs();
    const fresh = now >= this.pausedUntil;
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.max(0, waitMs));
    this.successes = 0;
    if (fresh) {
      this.epoch += 1;
      this.limit = Math.max(1, Math.floor(this.limit / 2));
    }
    if (hint.concurrency !== undefined && hint.concurrency >= 1) this.ceiling = Math.min(this.ceiling, Math.floor(hint.concurrency));
    this.limit = Math.min(this.limit, this.ceiling);
    if (hint.rpm !== undefined && hint.rpm > 0) this.interval = Math.max(this.interval, 60_000 / hint.rpm);
    return fresh;
  }

  /** No request starts until `work` settles (its outcome changes what the next requests send). */
  hold(work: Promise<unknown>): void {
    this.holds += 1;
    const done = () => {
      this.holds -= 1;
      this.pump();
    };
    work.then(done, done);
  }

  /** After `limit` successes in a row (of requests started since the last pause), one more slot, up to -j. */
  private succeeded(epoch: number): void {
    if (epoch !== this.epoch) return;
    this.successes += 1;
    if (this.limit < Math.min(this.max, this.ceiling) && this.successes >= this.limit) {
      this.limit += 1;
      this.successes = 0;
      this.pump();
    }
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.inFlight < this.limit && this.holds === 0) {
      const now = this.clock.monotonicMs();
      const at = Math.max(this.pausedUntil, this.lastStart + this.interval);
      if (now < at) {
        this.wakeAt(at - now);
        return;
      }
      const w = this.waiters.shift() as Waiter;
      this.inFlight += 1;
      this.peak = Math.max(this.peak, this.inFlight);
      this.lastStart = now;
      w.resolve(this.slot());
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

  private slot(): Slot {
    let done = false;
    const epoch = this.epoch;
    return {
      release: () => {
        if (done) return;
        done = true;
        this.inFlight -= 1;
        this.pump();
      },
      succeeded: () => this.succeeded(epoch),
    };
  }

  private stopAll(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(new Stopped());
  }
}
