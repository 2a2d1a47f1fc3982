// A --each run once it is planned: one request per image under the shared pace, each result checked,
// cached, written as a sidecar and put out in input order. Every finished result is written,
// whatever fails later; Ctrl-C and --fail-fast stop what is in flight and start nothing new.
import { sleep, type MoonshotClient } from '../api/client.js';
import { explainApiError } from '../api/explain.js';
import { DEFAULT_MAX_ATTEMPTS } from '../api/retry.js';
import { mayFallBack } from '../client/fallback.js';
import { terminalClient } from '../client/terminal-client.js';
import { forEachBounded } from '../concurrency.js';
import { ApiError, KvError, EXIT, interruptedBy } from '../errors.js';
import { formatSeconds } from '../format.js';
import type { Image } from '../inputs/image.js';
import { Backlog } from '../pace/backlog.js';
import { Pace, Stopped, type Clock, type Slot } from '../pace/pace.js';
import { sendOne, type RetryInfo, type SendContext } from '../pace/send-one.js';
import type { Plan } from '../plan/plan.js';
import { InOrder, markdownFooter } from '../results/formats.js';
import { failureRecord, type ImageRecord } from '../results/record.js';
import { Totals } from '../results/totals.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import type { ImageList } from './image-list.js';
import { planImage, type Job } from './job.js';
import { formatSection, recordAnswer, type Answer, type Spent } from './outcome.js';
import { ModelSwitch } from './switch.js';

/** Failures that would be the same for every image (the key, the account, the model): stop the run. */
function stopsTheRun(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404 || err.type === 'exceeded_current_quota_error');
}

export class EachRun {
  private readonly started: number;
  private readonly stop = new AbortController();
  private readonly clock: Clock;
  private readonly pace: Pace;
  private readonly backlog: Backlog;
  private readonly totals: Totals;
  private readonly order: InOrder<ImageRecord>;
  private readonly client: MoonshotClient;
  private readonly models: ModelSwitch;
  /** Only what the end needs is kept of each finished image: 1 once it has its record. */
  private readonly finished: Uint8Array;
  private firstFailure: { index: number; code: number } | undefined;
  private stoppedBy: string | undefined;
  private printed = 0;

  constructor(
    private readonly job: Job,
    private readonly work: ImageList,
    private readonly hits: Map<number, CachedAnswer>,
    skipped: number,
    key: string,
  ) {
    const { io, s, settings, o, term } = job;
    this.started = io.monotonicMs();
    this.clock = { monotonicMs: io.monotonicMs, sleep };
    this.pace = new Pace({ concurrency: s.concurrency, rpm: s.rpm, clock: this.clock, signal: this.stop.signal });
    this.totals = new Totals(work.length, skipped, settings.currency);
    this.finished = new Uint8Array(work.length);
    // What finishes early waits for what comes before it; new images wait while 16 x -j results
    // are held back or 1 MiB of output is queued ahead of a slow stdout (pace/backlog.ts).
    this.backlog = new Backlog({ window: Math.max(256, 16 * s.concurrency), maxUnflushed: 1 << 20, signal: this.stop.signal });
    this.order = new InOrder<ImageRecord>(work.length, (r, i) => {
      const text = formatSection(job, r, work.get(i), this.printed === 0);
      if (s.format === 'text' && text) this.printed += 1;
      // (term.out without its callback: the callback tells the backlog when stdout has taken it.)
      if (text) io.stdout.write(text, this.backlog.wrote(Buffer.byteLength(text)));
      this.backlog.putOut(i + 1);
    });
    // Retries are decided per image under the pace (pace/send-one.ts), so the client makes one attempt.
    this.client = terminalClient(settings.baseUrl, key, io, term, { timeout: o.timeout, maxAttempts: 1, signal: this.stop.signal });
    this.models = new ModelSwitch(job, this.client, () => this.pendingImages());
  }

  /** Runs every image; the exit code is that of the first failed image in input order (0 when none). */
  async run(): Promise<number> {
    const { io, term, s } = this.job;
    const onAbort = () => this.stop.abort(io.signal.reason);
    if (io.signal.aborted) onAbort();
    else io.signal.addEventListener('abort', onAbort, { once: true });
    await term.startProgress(this.totals.progress());
    try {
      // Enough workers to keep every slot the pace allows busy (images waiting to be retried give
      // theirs back), never one task per image.
      await forEachBounded(this.work.length, Math.max(16, 4 * s.concurrency), (i) => this.take(i));
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      term.stopSpinner();
      await this.client.close();
    }
    return this.end();
  }

  private async take(i: number): Promise<void> {
    await this.backlog.room(i);
    if (this.stop.signal.aborted) return;
    const hit = this.hits.get(i);
    if (hit) {
      const img = this.work.get(i);
      return this.succeed(i, img, planImage(this.job, img, this.job.settings.model), fromCache(hit), 0, true);
    }
    // The slot first, then the image's request state: the images waiting for a slot (up to 3 x -j
    // of them) hold nothing but their place in the queue. Each holding its state was a third of
    // what every young-generation collection found alive, and what survives sizes V8's young
    // generation (the run's memory grew with its length).
    let slot: Slot;
    try {
      slot = await this.pace.acquire(i);
    } catch (err) {
      if (this.stop.signal.aborted || err instanceof Stopped) return; // stopped: no record
      throw err;
    }
    return this.describe(i, slot);
  }

  /** One image's requests (retried under the pace, the first in `slot`), then its record. */
  private async describe(i: number, slot: Slot): Promise<void> {
    const img = this.work.get(i);
    // Planned when its turn comes, and again if the run switched to another model meanwhile.
    let planned: Plan | undefined;
    const plan = (): Plan => (planned?.model === this.models.model ? planned : (planned = planImage(this.job, img, this.models.model, this.models.response)));
    const ctx: SendContext = {
      client: this.client,
      pace: this.pace,
      clock: this.clock,
      signal: this.stop.signal,
      stream: this.job.o.stream,
      maxAttempts: this.job.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      onRetry: (x) => this.sayRetry(img, x),
      onFailure: (err, final) => this.onFailure(err, final, plan().model),
    };
    let first: Slot | undefined = slot;
    for (;;) {
      let sent;
      try {
        sent = await sendOne(() => (this.models.lateHits.has(i) ? undefined : plan().body), i, ctx, first);
        first = undefined;
      } catch (err) {
        if (this.stop.signal.aborted || err instanceof Stopped) return; // stopped: no record, nothing half-written
        throw err;
      }
      const late = this.models.lateHits.get(i);
      if (!sent) return late ? this.succeed(i, img, plan(), fromCache(late), 0, true) : undefined;
      try {
        if (sent.ok) return await this.succeed(i, img, plan(), sent.completion, this.job.io.monotonicMs() - sent.startedAt, false);
        const switchable = mayFallBack(sent.error, this.job.settings.modelChosen);
        if (switchable && (await this.models.from(plan().model))) continue;
        if (switchable) this.halt('this failure applies to every image');
        const e = sent.error instanceof ApiError ? explainApiError(sent.error, { model: plan().model, attempts: sent.attempts }) : sent.error;
        const record = failureRecord(img, e, { model: plan().model, currency: this.job.settings.currency, ms: this.job.io.monotonicMs() - sent.startedAt });
        return this.finish(i, record, undefined, e instanceof KvError ? e.hint : undefined);
      } finally {
        sent.slot.release();
      }
    }
  }

  /** A failed attempt, its slot still held: what follows for the whole run happens before anyone else starts. */
  private onFailure(err: unknown, final: boolean, model: string): void {
    if (!final) return;
    if (mayFallBack(err, this.job.settings.modelChosen)) this.pace.hold(this.models.from(model));
    else if (this.job.s.failFast) this.halt('--fail-fast');
    else if (stopsTheRun(err)) this.halt('this failure applies to every image');
  }

  private sayRetry(img: Image, x: RetryInfo): void {
    const { term } = this.job;
    if (!x.shared) term.warn(`${img.path}: attempt ${x.attempt} failed (${x.error.message}); retrying in ${formatSeconds(x.delayMs)}…`);
    else if (x.paused) term.warn(`rate limited (${x.error.message}); every request waits ${formatSeconds(x.delayMs)}, concurrency now ${x.limit}.`);
  }

  /** A good answer: checked, cached, its sidecar written, then recorded (or failed by one of those). */
  private async succeed(i: number, img: Image, plan: Plan, answer: Answer, ms: number, cached: boolean): Promise<void> {
    const { record, spent, hint } = await recordAnswer(this.job, img, plan, answer, { ms, cached, response: this.models.response });
    this.finish(i, record, spent, hint);
  }

  /** Every finished image passes here once: counted, reported, put out in order. */
  private finish(i: number, r: ImageRecord, spent?: Spent, hint?: string): void {
    this.finished[i] = 1;
    this.hits.delete(i);
    if (r.error && (!this.firstFailure || i < this.firstFailure.index)) this.firstFailure = { index: i, code: r.error.code };
    this.totals.add(r, spent);
    if (r.error) {
      this.job.term.error(`${r.path}: ${r.error.message}`, hint);
      if (this.job.s.failFast) this.halt('--fail-fast');
    }
    this.job.term.setSpinnerText(this.totals.progress());
    this.order.put(i, r);
  }

  private halt(why: string): void {
    if (this.stop.signal.aborted) return;
    this.stoppedBy = why;
    this.stop.abort(why);
  }

  /** Images not finished and not answered by the cache: what another model would still have to send. */
  private pendingImages(): { img: Image; i: number }[] {
    const out: { img: Image; i: number }[] = [];
    for (let i = 0; i < this.work.length; i++) if (this.finished[i] === 0 && !this.hits.has(i)) out.push({ img: this.work.get(i), i });
    return out;
  }

  private end(): number {
    const { io, term, s } = this.job;
    this.order.drain();
    const notDone = this.work.length - this.totals.done;
    if (this.stoppedBy && notDone > 0) term.warn(`stopped (${this.stoppedBy}): ${notDone} of ${this.work.length} images not described.`);
    const summary = this.totals.summary(io.monotonicMs() - this.started);
    if (s.format === 'markdown') term.out(markdownFooter(summary));
    term.note(summary);
    if (io.signal.aborted) throw interruptedBy(io.signal);
    return this.firstFailure?.code ?? EXIT.ok;
  }
}

function fromCache(hit: CachedAnswer): Answer {
  return { model: hit.model, text: hit.text, finishReason: hit.finish_reason, usage: hit.usage };
}
