// What an alt run has done so far, and the lines that say it on stderr (the progress line, the
// closing totals, what became of the documents). Counts captions: one per image and prompt. Pure.
import { formatInt, formatSeconds, plural } from '../format.js';
import type { Currency } from '../models.js';
import { Spending } from '../results/totals.js';
import type { CaptionOutcome } from './outcome.js';

export class AltTotals extends Spending {
  captioned = 0;
  failed = 0;
  skipped = 0;
  cached = 0;
  /** Alt texts put into documents (written, or in the patch), and the documents they are in. */
  altTexts = 0;
  documents = 0;

  constructor(
    /** Captions of this run. */
    readonly total: number,
    currency: Currency,
  ) {
    super(currency);
  }

  add(o: CaptionOutcome): void {
    if (o.kind === 'alt') this.captioned += 1;
    else if (o.kind === 'failed') this.failed += 1;
    else this.skipped += 1;
    if (o.kind === 'alt' && o.cached) this.cached += 1;
  }

  /** A document with `n` new alt texts (written, or in the patch). */
  changed(n: number): void {
    if (n === 0) return;
    this.altTexts += n;
    this.documents += 1;
  }

  get done(): number {
    return this.captioned + this.failed + this.skipped;
  }

  /** "3/10 images captioned, 0 failed, ¥0.012 so far" */
  progress(): string {
    return `${formatInt(this.captioned)}/${formatInt(this.total)} images captioned, ${formatInt(this.failed)} failed, ${this.money()} so far`;
  }

  /** "10 images captioned (2 from cache), 1 failed · 2,010 prompt + 96 completion tokens · ¥0.014 · 1.20 s" */
  summary(elapsedMs: number): string {
    const parts = [`${plural(this.captioned, 'image')} captioned${this.cached ? ` (${formatInt(this.cached)} from cache)` : ''}`, `${formatInt(this.failed)} failed`];
    if (this.skipped) parts.push(`${formatInt(this.skipped)} not captioned (--no-remote)`);
    const notDone = this.total - this.done;
    if (notDone > 0) parts.push(`${formatInt(notDone)} not done`);
    return `${parts.join(', ')} · ${this.tokens()} · ${this.money()} · ${formatSeconds(elapsedMs)}`;
  }

  /** What became of the documents: "wrote 12 alt texts into 3 documents", "the patch holds …", "12 alt texts proposed for …". */
  changes(kind: 'write' | 'patch' | 'proposed'): string {
    if (this.altTexts === 0) return kind === 'write' ? 'no document changed' : kind === 'patch' ? 'nothing to change: the patch is empty' : 'no new alt text';
    const texts = plural(this.altTexts, 'alt text');
    const docs = plural(this.documents, 'document');
    if (kind === 'write') return `wrote ${texts} into ${docs}`;
    return kind === 'patch' ? `the patch holds ${texts} for ${docs}` : `${texts} proposed for ${docs}`;
  }
}
