// What a diff run has done so far, and the lines that say it on stderr (the progress line, the
// closing totals). Pure.
import { roundMoney } from '../estimate/estimate.js';
import { formatInt, formatMoney, formatSeconds } from '../format.js';
import type { Currency } from '../models.js';
import { countsLine } from './formats.js';
import type { Spent } from './outcome.js';
import type { DiffRecord } from './record.js';

export class DiffTotals {
  done = 0;
  failed = 0;
  cached = 0;
  promptTokens = 0;
  completionTokens = 0;
  cost = 0;
  /** False once an answer came from a model without a known price. */
  priced = true;

  constructor(
    /** Pairs of this run (after the shard), same ones included. */
    readonly total: number,
    readonly currency: Currency,
  ) {}

  /** Counts a finished pair (what it spent is counted by spend(), request by request). */
  add(r: DiffRecord): void {
    this.done += 1;
    if (r.error) this.failed += 1;
    if (r.cached) this.cached += 1;
  }

  spend(s: Spent): void {
    this.promptTokens += s.prompt_tokens;
    this.completionTokens += s.completion_tokens;
    this.cost = roundMoney(this.cost + s.cost);
    if (!s.priced) this.priced = false;
  }

  money(): string {
    return formatMoney({ amount: this.cost, currency: this.currency }) + (this.priced ? '' : ' (some prices unknown)');
  }

  /** "3/5 pairs done, 0 failed, ¥0.012 so far" */
  progress(): string {
    return `${formatInt(this.done)}/${formatInt(this.total)} pairs done, ${formatInt(this.failed)} failed, ${this.money()} so far`;
  }

  /** "5 pairs: 2 changed, 3 same · 1 from cache · 2,010 prompt + 96 completion tokens · ¥0.014 · 1.20 s" */
  summary(records: readonly DiffRecord[], elapsedMs: number): string {
    const parts = [countsLine(records)];
    if (this.cached) parts.push(`${formatInt(this.cached)} from cache`);
    const notDone = this.total - records.length;
    if (notDone > 0) parts.push(`${formatInt(notDone)} not done`);
    parts.push(`${formatInt(this.promptTokens)} prompt + ${formatInt(this.completionTokens)} completion tokens`, this.money(), formatSeconds(elapsedMs));
    return parts.join(' · ');
  }
}
