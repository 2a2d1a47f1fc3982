// What a --each run has done so far, and the lines that say it (progress, the closing summary). Pure.
import type { Completion } from '../api/completion.js';
import { hasPrice, roundMoney } from '../estimate/estimate.js';
import type { Currency } from '../models.js';
import { formatInt, formatMoney, formatSeconds } from '../format.js';
import { answerCost, type ImageRecord } from './record.js';

/** What a request was billed (a failed check still cost tokens). */
export interface Spent {
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
  /** False when the model's price is not known. */
  priced: boolean;
}

/** What one answer cost, priced by the model that answered (or the one asked, where that is priced). */
export function spentOn(c: Pick<Completion, 'model' | 'usage'>, model: string, currency: Currency): Spent {
  return {
    prompt_tokens: c.usage?.prompt_tokens ?? 0,
    completion_tokens: c.usage?.completion_tokens ?? 0,
    cost: answerCost(c, model, currency).amount,
    priced: hasPrice(c.model ?? model, currency) || hasPrice(model, currency),
  };
}

/** What a run of many requests has spent so far: tokens and money, in the platform's currency. */
export class Spending {
  promptTokens = 0;
  completionTokens = 0;
  cost = 0;
  /** False once an answer came from a model without a known price. */
  priced = true;

  constructor(readonly currency: Currency) {}

  spend(s: Spent): void {
    this.promptTokens += s.prompt_tokens;
    this.completionTokens += s.completion_tokens;
    this.cost = roundMoney(this.cost + s.cost);
    if (!s.priced) this.priced = false;
  }

  money(): string {
    return formatMoney({ amount: this.cost, currency: this.currency }) + (this.priced ? '' : ' (some prices unknown)');
  }

  /** "1,024 prompt + 75 completion tokens" */
  tokens(): string {
    return `${formatInt(this.promptTokens)} prompt + ${formatInt(this.completionTokens)} completion tokens`;
  }
}

export class Totals extends Spending {
  described = 0;
  failed = 0;
  cached = 0;

  constructor(
    /** Images this run means to describe (after shards and skips). */
    readonly total: number,
    readonly skipped: number,
    currency: Currency,
  ) {
    super(currency);
  }

  /** Counts a finished image; `spent` is what its request was billed (a failed check still cost tokens). */
  add(r: ImageRecord, spent?: Spent): void {
    if (r.error) this.failed += 1;
    else this.described += 1;
    if (r.cached) this.cached += 1;
    if (spent) this.spend(spent);
  }

  get done(): number {
    return this.described + this.failed;
  }

  /** "12/40 described, 2 failed, ¥0.31 so far" */
  progress(): string {
    return `${formatInt(this.described)}/${formatInt(this.total)} described, ${formatInt(this.failed)} failed, ${this.money()} so far`;
  }

  /** The closing line: counts, tokens, cost and time. */
  summary(elapsedMs: number): string {
    const parts = [`${formatInt(this.described)} described${this.cached ? ` (${formatInt(this.cached)} from cache)` : ''}`, `${formatInt(this.failed)} failed`];
    if (this.skipped) parts.push(`${formatInt(this.skipped)} skipped (sidecar exists)`);
    const notDone = this.total - this.done;
    if (notDone > 0) parts.push(`${formatInt(notDone)} not done`);
    return `${parts.join(', ')} · ${this.tokens()} · ${this.money()} · ${formatSeconds(elapsedMs)}`;
  }
}
