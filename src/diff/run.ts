// A diff run once it is planned: one request per changed pair under the shared pace
// (pace/runner.ts), each answer checked (one retry with what was wrong), cached, and put out in pair
// order as pairs finish; same pairs, files on one side and cache hits are settled without a
// request. Every finished pair is printed, whatever fails later; Ctrl-C stops what is in flight.
import type { MoonshotClient } from '../api/client.js';
import type { Usage } from '../api/completion.js';
import { interruptedBy } from '../errors.js';
import { openRun } from '../pace/open-run.js';
import type { Runner, Settled } from '../pace/runner.js';
import { failureOf, keepAnswer, Plans } from '../pace/settle.js';
import type { Plan } from '../plan/plan.js';
import { InOrder } from '../results/formats.js';
import { finishRun } from './finish.js';
import { jsonlLine, markdownHeader, markdownSection, pairLinks, textSection } from './formats.js';
import { expectsAnswer, itemCacheKey, lookupItem, planItem, planRetry, type DiffHit, type DiffItem, type DiffJob, type SendItem } from './job.js';
import { addUsage, judgeAnswer } from './outcome.js';
import { spentOn } from '../results/totals.js';
import { sendItems } from './prepare.js';
import { answeredRecord, errorRecord, onlyRecord, sameRecord, type DiffRecord } from './record.js';
import { switchFor, type ModelSwitch } from '../client/model-switch.js';
import { DiffTotals } from './totals.js';

/** A pair whose first answer failed its check: that request's plan and usage, and the retry's plan. */
interface Retry {
  first: Plan;
  retry: Plan;
  usage: Usage | undefined;
}

export class DiffRun {
  private readonly started: number;
  private readonly totals: DiffTotals;
  private readonly records: (DiffRecord | undefined)[];
  private readonly order: InOrder<DiffRecord>;
  private readonly client: MoonshotClient;
  private readonly models: ModelSwitch<SendItem, DiffHit, undefined, Plan>;
  private readonly runner: Runner;
  private readonly plans: Plans<Plan>;
  private readonly retries = new Map<number, Retry>();
  private printed = 0;

  constructor(
    private readonly job: DiffJob,
    private readonly items: readonly DiffItem[],
    private readonly hits: Map<number, DiffHit>,
    key: string,
  ) {
    const { io, settings, term } = job;
    this.started = io.monotonicMs();
    this.plans = new Plans((i, model) => planItem(job, items[i] as SendItem, model));
    this.totals = new DiffTotals(items.length, settings.currency);
    this.records = new Array<DiffRecord | undefined>(items.length);
    this.order = new InOrder<DiffRecord>(items.length, (r, i) => term.out(this.section(r, i)));
    ({ client: this.client, runner: this.runner } = openRun(job, key, {
      count: items.length,
      name: (i) => this.name(i),
      failFast: false,
      body: (i) => this.retries.get(i)?.retry.body ?? (this.models.lateHits.has(i) ? undefined : this.plan(i).body),
      model: (i) => this.retries.get(i)?.retry.model ?? this.plan(i).model,
      switchModel: (failed) => this.models.from(failed),
      ready: (i) => this.ready(i),
      answeredMeanwhile: async (i) => this.fromCache(i, this.models.lateHits.get(i) as DiffHit),
      settle: (i, settled) => this.settle(i, settled),
    }));
    this.models = switchFor(job, this.client, {
      pending: () => sendItems(items, (i) => this.records[i] === undefined && !hits.has(i)),
      plan: (item: SendItem, model) => planItem(job, item, model),
      lookup: (item, plan) => lookupItem(job, item, plan),
    });
  }

  /** Runs every pair; the exit code: the first failure's in pair order, else 7 when --fail-on trips, else 0. */
  async run(): Promise<number> {
    const { term, s } = this.job;
    if (s.format === 'markdown') term.out(markdownHeader());
    await term.startProgress(this.totals.progress());
    try {
      await this.runner.run();
    } finally {
      term.stopSpinner();
      await this.client.close();
    }
    this.order.drain();
    const records = this.records.filter((r): r is DiffRecord => r !== undefined);
    const elapsed = this.job.io.monotonicMs() - this.started;
    if (this.runner.stoppedBy && records.length < this.items.length) {
      term.warn(`stopped (${this.runner.stoppedBy}): ${this.items.length - records.length} of ${this.items.length} pairs not compared.`);
    }
    if (this.job.io.signal.aborted) {
      term.note(this.totals.summary(records, elapsed));
      throw interruptedBy(this.job.io.signal);
    }
    return finishRun(this.job, records, this.totals.summary(records, elapsed));
  }

  /** Item i's first request for the model the run uses now (planned again after a switch). */
  private plan(i: number): Plan {
    return this.plans.of(i, this.models.model);
  }

  /** Items that need no request: same pairs, files on one side, cache hits. */
  private ready(i: number): Promise<void> | undefined {
    const item = this.items[i] as DiffItem;
    const { currency } = this.job.settings;
    if (item.kind === 'same') return this.finish(i, sameRecord(item.entry, item.facts, currency));
    if (item.kind === 'only') return this.finish(i, onlyRecord(item.entry, currency));
    const hit = this.hits.get(i);
    return hit ? this.fromCache(i, hit) : undefined;
  }

  private fromCache(i: number, hit: DiffHit): Promise<void> {
    const item = this.items[i] as SendItem;
    const { currency } = this.job.settings;
    return this.finish(i, answeredRecord(item.entry, item.facts, hit.answer, hit, { model: hit.model, currency, cached: true }));
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: as the runner's settle (pace/runner.ts)
  private async settle(i: number, s: Settled): Promise<void | 'again'> {
    const item = this.items[i] as SendItem;
    const { settings, term } = this.job;
    const retry = this.retries.get(i);
    const plan = retry?.retry ?? this.plan(i);
    if (!s.ok) {
      const { error, hint } = failureOf(s, plan.model);
      return this.finish(i, errorRecord(item.entry, item.facts, error, settings.currency), hint);
    }
    const c = s.completion;
    this.totals.spend(spentOn(c, plan.model, settings.currency));
    term.setSpinnerText(this.totals.progress());
    const judged = judgeAnswer(c, expectsAnswer(this.job, item), retry !== undefined);
    if (judged.kind === 'fail') return this.finish(i, errorRecord(item.entry, item.facts, judged.error, settings.currency), judged.error.hint);
    if (judged.kind === 'retry') {
      term.warn(`${this.name(i)}: the answer is not the JSON asked for (${judged.problem}); asking once more.`);
      this.retries.set(i, { first: plan, retry: planRetry(this.job, item, plan, c, judged.problem), usage: c.usage });
      return 'again';
    }
    const usage = addUsage(retry?.usage, c.usage);
    const record = answeredRecord(item.entry, item.facts, judged.answer, { model: c.model, usage }, { model: plan.model, currency: settings.currency, cached: false });
    await this.keep(item, retry?.first ?? plan, JSON.stringify(judged.answer), { model: c.model ?? plan.model, usage: record.usage });
    return this.finish(i, record);
  }

  /** --cache: the checked answer under the key of the first request (the one a rerun plans). */
  private async keep(item: SendItem, plan: Plan, text: string, c: { model: string; usage: DiffRecord['usage'] }): Promise<void> {
    if (!this.job.cache) return;
    await keepAnswer(this.job, itemCacheKey(this.job, item, plan), { model: c.model, text, finish_reason: 'stop', usage: c.usage });
  }

  /** Every finished pair passes here once: counted, reported, put out in order. */
  private async finish(i: number, r: DiffRecord, hint?: string): Promise<void> {
    this.records[i] = r;
    this.plans.drop(i);
    this.retries.delete(i);
    this.hits.delete(i);
    this.totals.add(r);
    if (r.error) this.job.term.error(`${this.name(i)}: ${r.error.message}`, hint);
    this.job.term.setSpinnerText(this.totals.progress());
    this.order.put(i, r);
  }

  private section(r: DiffRecord, i: number): string {
    const { s, io } = this.job;
    if (s.format === 'jsonl') return jsonlLine(r);
    if (s.format === 'markdown') return markdownSection(r, pairLinks((this.items[i] as DiffItem).entry, io.cwd));
    return textSection(r, this.printed++ === 0);
  }

  /** How stderr names a pair: its after file (its before file when it was removed). */
  private name(i: number): string {
    const e = (this.items[i] as DiffItem).entry;
    return e.status === 'removed' ? e.before.path : e.after.path;
  }
}
