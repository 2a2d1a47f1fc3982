// diff --dry-run: what each pair would become (same locally, sent, from the cache, not described)
// and what the requests would cost; nothing is sent, no key needed. And the line that says what
// the local comparison found, before the estimate.
import type { Estimate } from '../estimate/estimate.js';
import { hasPrice } from '../estimate/estimate.js';
import { formatInt, plural } from '../format.js';
import type { Io } from '../io.js';
import type { Currency } from '../models.js';
import { estimateLine } from '../output/estimate-line.js';
import { percentWords } from './prompt.js';
import type { DiffItem } from './job.js';
import type { DiffFormat } from './formats.js';

export interface DiffDryRun {
  format: DiffFormat;
  model: string;
  currency: Currency;
  items: readonly DiffItem[];
  /** The estimate of each item to send, by index (cached ones have none). */
  estimates: ReadonlyMap<number, Estimate>;
  cached: ReadonlySet<number>;
  total: Estimate;
}

/** What the pair is locally: same, changed (with its share of pixels), added, removed. */
function localStatus(item: DiffItem): 'same' | 'changed' | 'added' | 'removed' {
  if (item.kind === 'same') return 'same';
  return item.entry.status === 'pair' ? 'changed' : item.entry.status;
}

const facts = (item: DiffItem) => (item.kind === 'only' ? undefined : item.facts);

/**
 * jsonl: one `{"before","after","status","pixels_changed","bbox","send","cached","estimate"}` line per
 * pair (status as compared locally; estimate null when nothing would be sent); otherwise one
 * tab-separated line per pair and the estimate line.
 */
export function printDiffDryRun(d: DiffDryRun, io: Io): void {
  const priced = hasPrice(d.model, d.currency);
  d.items.forEach((item, i) => {
    const e = item.entry;
    const before = e.status === 'added' ? null : e.before.path;
    const after = e.status === 'removed' ? null : e.after.path;
    const estimate = d.estimates.get(i) ?? null;
    const cached = d.cached.has(i);
    if (d.format === 'jsonl') {
      const f = facts(item);
      const line = { before, after, status: localStatus(item), pixels_changed: f?.pixelsChanged ?? null, bbox: f?.bbox ?? null, send: estimate !== null, cached, estimate };
      io.stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const share = facts(item)?.pixelsChanged;
    const status = `${localStatus(item)}${share ? `, ${percentWords(share)} of pixels` : ''}`;
    const fate = estimate
      ? `~${formatInt(estimate.input_tokens)} input tokens`
      : cached
        ? 'from the cache'
        : item.kind === 'only'
          ? 'not sent (--describe-new describes it)'
          : 'not sent';
    io.stdout.write(`${before ?? '(none)'} -> ${after ?? '(none)'}\t${status}\t${fate}\n`);
  });
  if (d.format === 'jsonl') return;
  io.stdout.write(`${estimateLine(d.total, { images: d.estimates.size, model: d.model, priced, perImage: { cached: d.cached.size, skipped: 0, unit: 'pair' } })}\n`);
}

/** "5 pairs compared locally: 2 same (not sent), 1 changed, 1 added, 1 removed" */
export function localLine(items: readonly DiffItem[]): string {
  const count = (s: ReturnType<typeof localStatus>) => items.filter((item) => localStatus(item) === s).length;
  const same = count('same');
  const parts = [same && `${formatInt(same)} same (not sent)`, ...(['changed', 'added', 'removed'] as const).map((s) => count(s) && `${formatInt(count(s))} ${s}`)];
  const only = items.filter((item) => item.kind === 'only').length;
  const described = only > 0 ? `; files on one side are not described (--describe-new describes them)` : '';
  return `${plural(items.length, 'pair')} compared locally: ${parts.filter(Boolean).join(', ') || 'none'}${described}`;
}
