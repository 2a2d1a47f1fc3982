// An alt run once it is planned: one request per caption under the shared pace (pace/runner.ts:
// -j, --rpm, rate limits, retries, the fallback hold, the output limit), each answer checked
// (--max-chars, cut off, filtered) and cached; captions the cache answers, images that cannot be
// read and remote ones left alone are settled without a request. Each document is put out
// (emit.ts) as soon as its captions are settled, in document order; Ctrl-C stops what is in flight.
import type { MoonshotClient } from '../api/client.js';
import { switchFor, type ModelSwitch } from '../client/model-switch.js';
import { interruptedBy } from '../errors.js';
import { openRun } from '../pace/open-run.js';
import type { Runner, Settled } from '../pace/runner.js';
import { failureOf, keepAnswer, Plans } from '../pace/settle.js';
import type { Plan } from '../plan/plan.js';
import { InOrder } from '../results/formats.js';
import { answerOf, type CachedAnswer } from '../store/answer-cache.js';
import { AltOutput } from './emit.js';
import { captionCacheKey, isSendable, lookupCaption, planCaption, type AltJob, type Caption, type SendCaption } from './job.js';
import type { AltDoc } from './load.js';
import { answerOutcome, failureOutcome, type CaptionOutcome } from './outcome.js';
import { spentOn } from '../results/totals.js';
import { AltTotals } from './totals.js';

export class AltRun {
  private readonly started: number;
  private readonly totals: AltTotals;
  private readonly outcomes: (CaptionOutcome | undefined)[];
  /** Captions of each document not settled yet; the documents that use each caption. */
  private readonly pending: number[];
  private readonly docsOf: number[][];
  private readonly order: InOrder<number>;
  private readonly output: AltOutput;
  private readonly client: MoonshotClient;
  private readonly models: ModelSwitch<SendCaption, CachedAnswer, undefined, Plan>;
  private readonly runner: Runner;
  private readonly plans: Plans<Plan>;

  constructor(
    private readonly job: AltJob,
    docs: readonly AltDoc[],
    private readonly captions: readonly Caption[],
    index: readonly number[][],
    private readonly hits: Map<number, CachedAnswer>,
    key: string,
  ) {
    const { io, settings } = job;
    this.started = io.monotonicMs();
    this.plans = new Plans((i, model) => planCaption(job, captions[i] as SendCaption, model));
    this.totals = new AltTotals(captions.length, settings.currency);
    this.outcomes = new Array<CaptionOutcome | undefined>(captions.length);
    this.docsOf = captions.map((c) => [...new Set(c.uses.map((u) => u.doc))]);
    this.pending = docs.map((_, d) => new Set(index[d]).size);
    this.output = new AltOutput(job, docs, captions, index, this.outcomes, this.totals);
    this.order = new InOrder<number>(docs.length, (d) => this.output.emit(d));
    ({ client: this.client, runner: this.runner } = openRun(job, key, {
      count: captions.length,
      name: (i) => this.place(i),
      failFast: false,
      body: (i) => (this.models.lateHits.has(i) ? undefined : this.plan(i).body),
      model: (i) => this.plan(i).model,
      switchModel: (failed) => this.models.from(failed),
      ready: (i) => this.ready(i),
      answeredMeanwhile: async (i) => this.fromCache(i, this.models.lateHits.get(i) as CachedAnswer),
      settle: (i, settled) => this.settle(i, settled),
    }));
    this.models = switchFor(job, this.client, {
      pending: () => this.sendable((i) => this.outcomes[i] === undefined && !hits.has(i)).map(({ c, i }) => ({ item: c, i })),
      plan: (c: SendCaption, model) => planCaption(job, c, model),
      lookup: (c, plan) => lookupCaption(job, c, plan),
    });
  }

  /** Runs every caption; the exit code: the first failure's in document and page order, else 0. */
  async run(): Promise<number> {
    const { term, io } = this.job;
    // Documents with nothing to caption (or not read) are out at once.
    this.pending.forEach((n, d) => {
      if (n === 0) this.order.put(d, d);
    });
    await term.startProgress(this.totals.progress());
    try {
      await this.runner.run();
    } finally {
      term.stopSpinner();
      await this.client.close();
    }
    this.order.drain();
    const code = await this.output.end();
    const notDone = this.totals.total - this.totals.done;
    if (this.runner.stoppedBy && notDone > 0) {
      const left = this.pending.filter((n) => n > 0).length;
      term.warn(
        `stopped (${this.runner.stoppedBy}): ${notDone} of ${this.totals.total} images not captioned; ${left === 1 ? '1 document was left as it was' : `${left} documents were left as they were`}.`,
      );
    }
    term.note(this.totals.summary(io.monotonicMs() - this.started));
    term.note(this.totals.changes(this.output.kind()));
    if (io.signal.aborted) throw interruptedBy(io.signal);
    return code;
  }

  /** Caption i's request for the model the run uses now (planned again after a switch). */
  private plan(i: number): Plan {
    return this.plans.of(i, this.models.model);
  }

  /** Captions that need no request: an image not read (or left alone), or an answer the cache has. */
  private ready(i: number): Promise<void> | undefined {
    const c = this.captions[i] as Caption;
    if (c.input.kind === 'failed') return this.finish(i, failureOutcome(c.input.error));
    if (c.input.kind === 'skipped') return this.finish(i, { kind: 'skipped', why: c.input.why });
    const hit = this.hits.get(i);
    return hit ? this.fromCache(i, hit) : undefined;
  }

  private fromCache(i: number, hit: CachedAnswer): Promise<void> {
    return this.finish(i, answerOutcome(answerOf(hit), hit.model, this.job.settings.currency, this.job.s.maxChars, true).outcome);
  }

  private async settle(i: number, s: Settled): Promise<void> {
    const { settings, s: o } = this.job;
    const plan = this.plan(i);
    if (!s.ok) {
      const { error, hint } = failureOf(s, plan.model);
      return this.finish(i, failureOutcome(error), hint);
    }
    const c = s.completion;
    this.totals.spend(spentOn(c, plan.model, settings.currency));
    const { outcome, hint } = answerOutcome(c, plan.model, settings.currency, o.maxChars, false);
    if (outcome.kind === 'alt') await this.keep(i, plan, c.model ?? plan.model, outcome);
    return this.finish(i, outcome, hint);
  }

  /** --cache: the checked answer under the key of its request (the one a rerun plans). */
  private async keep(i: number, plan: Plan, model: string, o: Extract<CaptionOutcome, { kind: 'alt' }>): Promise<void> {
    if (!this.job.cache) return;
    await keepAnswer(this.job, captionCacheKey(this.job, this.captions[i] as SendCaption, plan), { model, text: o.alt, finish_reason: 'stop', usage: o.usage });
  }

  /** Every caption passes here once: counted, said when it failed, and its documents put out once complete. */
  private async finish(i: number, outcome: CaptionOutcome, hint?: string): Promise<void> {
    this.outcomes[i] = outcome;
    this.plans.drop(i);
    this.hits.delete(i);
    this.totals.add(outcome);
    const { term } = this.job;
    // An image that could not be read was said when it was read (captions.ts).
    const input = (this.captions[i] as Caption).input;
    if (outcome.kind === 'failed' && input.kind === 'image') term.error(`${this.place(i)}: ${outcome.error.message}`, hint);
    term.setSpinnerText(this.totals.progress());
    for (const d of this.docsOf[i] ?? []) {
      this.pending[d] = (this.pending[d] as number) - 1;
      if (this.pending[d] === 0) this.order.put(d, d);
    }
  }

  /** Captions with an image, by index, that `keep` says are still to do: what another model would still send. */
  private sendable(keep: (i: number) => boolean): { c: SendCaption; i: number }[] {
    return this.captions.flatMap((c, i) => (isSendable(c) && keep(i) ? [{ c, i }] : []));
  }

  /** How stderr names a caption: its first place and its image. */
  private place(i: number): string {
    const c = this.captions[i] as Caption;
    return `${c.uses[0]?.place}: ${c.name}`;
  }
}
