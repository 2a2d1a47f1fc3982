// What a diff run has done so far, and the lines that say it on stderr (the progress line, the
// closing totals). Pure.
import { formatInt, formatSeconds } from '../format.js';
import type { Currency } from '../models.js';
import { countsLine } from './formats.js';
import { Spending } from '../results/totals.js';
import type { DiffRecord } from './record.js';

export class DiffTotals extends Spending {
  done = 0;
  failed = 0;
  cached = 0;

  constructor(
    /** Pairs of this run (after the shard), same ones included. */
    readonly total: number,
    currency: Currency,
  ) {
    super(currency);
  }

  /** Counts a finished pair (what it spent is counted by spend(), request by request). */
  add(r: DiffRecord): void {
    this.done += 1;
    if (r.error) this.failed += 1;
    if (r.cached) this.cached += 1;
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
    parts.push(this.tokens(), this.money(), formatSeconds(elapsedMs));
    return parts.join(' · ');
  }
}
