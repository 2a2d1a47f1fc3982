// A --each run once it is planned: one request per image under the shared pace (pace/runner.ts),
// each result checked, cached, written as a sidecar and put out in input order. Every finished
// result is written, whatever fails later; Ctrl-C and --fail-fast stop what is in flight and start
// nothing new.
import type { MoonshotClient } from '../api/client.js';
import { EXIT, interruptedBy } from '../errors.js';
import { isBadInput } from '../inputs/bad-input.js';
import type { Image } from '../inputs/image.js';
import { Backlog } from '../pace/backlog.js';
import { openRun } from '../pace/open-run.js';
import type { Runner, Settled } from '../pace/runner.js';
import { failureOf, Plans } from '../pace/settle.js';
import type { Plan } from '../plan/plan.js';
import type { ResponsePlan } from '../request/response.js';
import { InOrder, markdownFooter } from '../results/formats.js';
import { failureRecord, type ImageRecord } from '../results/record.js';
import { Totals } from '../results/totals.js';
import { answerOf, type CachedAnswer } from '../store/answer-cache.js';
import type { ImageList } from './image-list.js';
import { lookup, planImage, type Job } from './job.js';
import { formatSection, inputFailureRecord, isInputFailure, recordAnswer, type Answer, type Spent } from './outcome.js';
import { switchFor, type ModelSwitch } from '../client/model-switch.js';
import { planResponse } from '../request/response.js';

export class EachRun {
  private readonly started: number;
  private readonly backlog: Backlog;
  private readonly totals: Totals;
  private readonly order: InOrder<ImageRecord>;
  private readonly client: MoonshotClient;
  private readonly models: ModelSwitch<Image, CachedAnswer, ResponsePlan, Plan>;
  private readonly runner: Runner;
  /** Only what the end needs is kept of each finished image: 1 once it has its record. */
  private readonly finished: Uint8Array;
  private readonly plans: Plans<Plan>;
  private firstFailure: { index: number; code: number } | undefined;
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
    this.plans = new Plans((i, model) => planImage(job, work.get(i) as Image, model, this.models.context));
    this.totals = new Totals(work.length, skipped, settings.currency);
    this.finished = new Uint8Array(work.length);
    this.order = new InOrder<ImageRecord>(work.length, (r, i) => {
      const text = formatSection(job, r, work.get(i), this.printed === 0);
      if (s.format === 'text' && text) this.printed += 1;
      if (text) term.out(text, this.backlog.wrote(Buffer.byteLength(text)));
      this.backlog.putOut(i + 1);
    });
    ({ client: this.client, runner: this.runner } = openRun(job, key, {
      count: work.length,
      name: (i) => work.pathOf(i),
      room: (i) => this.backlog.room(i),
      failFast: s.failFast,
      body: (i) => (this.models.lateHits.has(i) ? undefined : this.plan(i).body),
      model: (i) => this.plan(i).model,
      switchModel: (failed) => this.models.from(failed),
      ready: (i) => this.badInput(i) ?? this.fromCache(i, this.hits.get(i), job.settings.model, job.response),
      answeredMeanwhile: async (i) => this.fromCache(i, this.models.lateHits.get(i), this.models.model, this.models.context),
      settle: (i, settled) => this.settle(i, settled),
    }));
    // What finishes early waits for what comes before it; new images wait while 16 x -j results
    // are held back or 1 MiB of output is queued ahead of a slow stdout (pace/backlog.ts).
    this.backlog = new Backlog({ window: Math.max(256, 16 * s.concurrency), maxUnflushed: 1 << 20, signal: this.runner.signal });
    this.models = switchFor(job, this.client, {
      pending: () => this.pendingImages().map(({ img, i }) => ({ item: img, i })),
      plan: (img: Image, model, response: ResponsePlan) => planImage(job, img, model, response),
      lookup: (img, plan) => lookup(job, img, plan),
      context: job.response,
      contextFor: (model) => planResponse(o, model, io.cwd),
    });
  }

  /** Runs every image; the exit code is that of the first failed image in input order (0 when none). */
  async run(): Promise<number> {
    const { term } = this.job;
    await term.startProgress(this.totals.progress());
    try {
      await this.runner.run();
    } finally {
      term.stopSpinner();
      await this.client.close();
    }
    return this.end();
  }

  /** Image i's plan for the model the run uses now (planned again after a switch). */
  private plan(i: number): Plan {
    return this.plans.of(i, this.models.model);
  }

  /** An input that cannot be described (missing, unreadable, not an image): its failure record, no request. */
  private badInput(i: number): Promise<void> | undefined {
    const x = this.work.get(i);
    if (!isBadInput(x)) return undefined;
    const { settings } = this.job;
    this.finish(i, inputFailureRecord(x, x.error, { model: settings.model, currency: settings.currency, ms: 0 }), undefined, x.error.hint);
    return Promise.resolve();
  }

  /** An image the cache answers (before the run, or for the model switched to): no request. */
  private fromCache(i: number, hit: CachedAnswer | undefined, model: string, response: ResponsePlan): Promise<void> | undefined {
    if (!hit) return undefined;
    const img = this.work.get(i) as Image;
    return this.succeed(i, img, planImage(this.job, img, model, response), answerOf(hit), 0, true);
  }

  private async settle(i: number, s: Settled): Promise<void> {
    const img = this.work.get(i) as Image;
    const plan = this.plan(i);
    if (s.ok) return this.succeed(i, img, plan, s.completion, s.ms, false);
    const { error, hint } = failureOf(s, plan.model);
    const at = { model: plan.model, currency: this.job.settings.currency, ms: s.ms };
    // A file gone or unreadable since it was planned is the input's failure, not the API's.
    const record = isInputFailure(error) ? inputFailureRecord(img, error, at) : failureRecord(img, error, at);
    this.finish(i, record, undefined, hint);
  }

  /** A good answer: checked, cached, its sidecar written, then recorded (or failed by one of those). */
  private async succeed(i: number, img: Image, plan: Plan, answer: Answer, ms: number, cached: boolean): Promise<void> {
    const { record, spent, hint } = await recordAnswer(this.job, img, plan, answer, { ms, cached, response: this.models.context });
    this.finish(i, record, spent, hint);
  }

  /** Every finished image passes here once: counted, reported, put out in order. */
  private finish(i: number, r: ImageRecord, spent?: Spent, hint?: string): void {
    this.finished[i] = 1;
    this.hits.delete(i);
    this.plans.drop(i);
    if (r.error && (!this.firstFailure || i < this.firstFailure.index)) this.firstFailure = { index: i, code: r.error.code };
    this.totals.add(r, spent);
    if (r.error) {
      this.job.term.error(`${r.path}: ${r.error.message}`, hint);
      if (this.job.s.failFast) this.runner.halt('--fail-fast');
    }
    this.job.term.setSpinnerText(this.totals.progress());
    this.order.put(i, r);
  }

  /** Images not finished and not answered by the cache: what another model would still have to send. */
  private pendingImages(): { img: Image; i: number }[] {
    const out: { img: Image; i: number }[] = [];
    for (let i = 0; i < this.work.length; i++) {
      if (this.finished[i] !== 0 || this.hits.has(i)) continue;
      const img = this.work.get(i);
      if (!isBadInput(img)) out.push({ img, i });
    }
    return out;
  }

  private end(): number {
    const { io, term, s } = this.job;
    this.order.drain();
    const notDone = this.work.length - this.totals.done;
    if (this.runner.stoppedBy && notDone > 0) term.warn(`stopped (${this.runner.stoppedBy}): ${notDone} of ${this.work.length} images not described.`);
    const summary = this.totals.summary(io.monotonicMs() - this.started);
    if (s.format === 'markdown') term.out(markdownFooter(summary));
    term.note(summary);
    if (io.signal.aborted) throw interruptedBy(io.signal);
    return this.firstFailure?.code ?? EXIT.ok;
  }
}
