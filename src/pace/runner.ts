// Many requests, one per item (an image of --each, an image of `alt`, a pair of `diff`), under one
// shared pace: a bounded pool of workers takes the items in order, each item's request is sent (and
// retried) by send-one.ts, and what the caller does with the outcome happens while the item still
// holds its slot. Failures that would be the same for every item stop the run; a 404 for a default
// model asks the caller for another model and holds every new request until it answers.
import type { Body, ChatHandlers } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { outputLimit } from '../api/output-limit.js';
import { mayFallBack } from '../client/fallback.js';
import { forEachBounded } from '../concurrency.js';
import { ApiError } from '../errors.js';
import type { BodyPlan } from '../request/body.js';
import { Pace, Stopped, type Clock, type Slot } from './pace.js';
import { sendOne, type RetryInfo } from './send-one.js';

export interface RunnerClient {
  chat(body: Body, stream: boolean, handlers?: ChatHandlers): Promise<Completion>;
}

/** What became of one item's requests; `ms` excludes its wait in the queue. */
export type Settled = ({ ok: true; completion: Completion } | { ok: false; error: unknown }) & { ms: number; attempts: number };

export interface RunnerOptions {
  count: number;
  concurrency: number;
  rpm?: number | undefined;
  maxAttempts: number;
  /** --max-tokens: with the model, how long an answer may be before it counts as endless (api/output-limit.ts). */
  maxTokens?: number | undefined;
  stream: boolean;
  client: RunnerClient;
  clock: Clock;
  /** The run's own signal (Ctrl-C): aborting it stops everything. */
  signal: AbortSignal;
  /** The user chose the model: a 404 for it is final (no fallback). */
  modelChosen: boolean;
  failFast: boolean;
  /** The request body of item i for the model of the moment; undefined when there is nothing to send (answered meanwhile). */
  body(i: number): BodyPlan | undefined;
  /** The model item i is sent to now (for the fallback). */
  model(i: number): string;
  /** Another model to go on with after `failed` answered 404 (asked once per failed model); undefined: none. */
  switchModel(failed: string): Promise<string | undefined>;
  /** Item i may start once this resolves (each's backlog: results held back, output queued); undefined: at once. */
  room?(i: number): Promise<void> | undefined;
  /** Item i needs no request (a cache hit, known before it is sent): settle it without one. */
  ready?(i: number): Promise<void> | undefined;
  /**
   * What the caller does with an item's outcome (its record, sidecar, output). Runs before the slot
   * is freed. 'again': the answer calls for one more request of the item (diff's one retry of an
   * answer that fails its check), sent under the same pace, with the body body(i) then gives.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most callers settle and return nothing; 'again' is the exception
  settle(i: number, s: Settled): Promise<void | 'again'>;
  /** Item i had nothing to send once its turn came (body() gave undefined: answered meanwhile): settle it so. */
  answeredMeanwhile?(i: number): Promise<void>;
  onRetry?(i: number, info: RetryInfo): void;
}

/** Failures that would be the same for every item (the key, the account, the model): stop the run. */
function stopsTheRun(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404 || err.type === 'exceeded_current_quota_error');
}

export class Runner {
  private readonly stop = new AbortController();
  private readonly pace: Pace;
  private readonly switches = new Map<string, Promise<string | undefined>>();
  /** Why the run stopped early, if it did. */
  stoppedBy: string | undefined;

  constructor(private readonly o: RunnerOptions) {
    this.pace = new Pace({ concurrency: o.concurrency, rpm: o.rpm, clock: o.clock, signal: this.stop.signal });
  }

  /** The signal of the run: aborted by Ctrl-C, --fail-fast, or a failure that stops everything. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  async run(): Promise<void> {
    const onAbort = () => this.stop.abort(this.o.signal.reason);
    if (this.o.signal.aborted) onAbort();
    else this.o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Enough workers to keep every slot the pace allows busy (items waiting to be retried give
      // theirs back), never one task per item.
      await forEachBounded(this.o.count, Math.max(16, 4 * this.o.concurrency), (i) => this.take(i));
    } finally {
      this.o.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the run: nothing new starts, what is in flight is aborted. */
  halt(why: string): void {
    if (this.stop.signal.aborted) return;
    this.stoppedBy = why;
    this.stop.abort(why);
  }

  private async take(i: number): Promise<void> {
    await this.o.room?.(i);
    if (this.stop.signal.aborted) return; // stopped: no record, nothing half-written
    const ready = this.o.ready?.(i);
    if (ready) return ready;
    // The slot first, then the item's request state: the items waiting for a slot (up to 3 x -j of
    // them) hold nothing but their place in the queue. Each holding its state was a third of what
    // every young-generation collection found alive, and what survives sizes V8's young generation
    // (a long run's memory grew with its length).
    let slot: Slot;
    try {
      slot = await this.pace.acquire(i);
    } catch (err) {
      if (this.stop.signal.aborted || err instanceof Stopped) return;
      throw err;
    }
    return this.send(i, slot);
  }

  /** Item i's requests, the first in `slot` (granted already), until its outcome is settled. */
  private async send(i: number, slot: Slot): Promise<void> {
    const ctx = {
      client: { chat: (body: Body, stream: boolean, h?: ChatHandlers) => this.o.client.chat(body, stream, { ...h, limit: outputLimit(this.o.model(i), this.o.maxTokens) }) },
      pace: this.pace,
      clock: this.o.clock,
      signal: this.stop.signal,
      stream: this.o.stream,
      maxAttempts: this.o.maxAttempts,
      onRetry: (x: RetryInfo) => this.o.onRetry?.(i, x),
      onFailure: (err: unknown, final: boolean) => this.onFailure(err, final, this.o.model(i)),
    };
    let first: Slot | undefined = slot;
    for (;;) {
      let sent: Awaited<ReturnType<typeof sendOne>>;
      try {
        sent = await sendOne(() => this.o.body(i), i, ctx, first);
        first = undefined;
      } catch (err) {
        if (this.stop.signal.aborted || err instanceof Stopped) return; // stopped: no record, nothing half-written
        throw err;
      }
      if (!sent) return this.o.answeredMeanwhile?.(i);
      try {
        const ms = this.o.clock.monotonicMs() - sent.startedAt;
        if (sent.ok) {
          if ((await this.o.settle(i, { ok: true, completion: sent.completion, ms, attempts: sent.attempts })) === 'again') continue;
          return;
        }
        const switchable = mayFallBack(sent.error, this.o.modelChosen);
        if (switchable && (await this.switchFrom(this.o.model(i)))) continue;
        if (switchable) this.halt('this failure applies to every image');
        await this.o.settle(i, { ok: false, error: sent.error, ms, attempts: sent.attempts });
        return;
      } finally {
        sent.slot.release();
      }
    }
  }

  /** A failed attempt, its slot still held: what follows for the whole run happens before anyone else starts. */
  private onFailure(err: unknown, final: boolean, model: string): void {
    if (!final) return;
    if (mayFallBack(err, this.o.modelChosen)) this.pace.hold(this.switchFrom(model));
    else if (this.o.failFast) this.halt('--fail-fast');
    else if (stopsTheRun(err)) this.halt('this failure applies to every image');
  }

  private switchFrom(failed: string): Promise<string | undefined> {
    let p = this.switches.get(failed);
    if (!p) {
      p = this.o.switchModel(failed);
      this.switches.set(failed, p);
    }
    return p;
  }
}
