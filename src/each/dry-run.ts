// --each --dry-run: what would be sent, image by image, and the total; nothing is sent, no key needed.
import type { Estimate } from '../estimate/estimate.js';
import { hasPrice } from '../estimate/estimate.js';
import { EXIT } from '../errors.js';
import { isBadInput, type Input } from '../inputs/bad-input.js';
import { imageSummary, type Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import type { Currency } from '../models.js';
import { formatBytes, formatInt } from '../format.js';
import type { Plan } from '../plan/plan.js';
import { estimateLine } from '../output/estimate-line.js';
import type { Terminal } from '../output/terminal.js';

export interface DryRun {
  format: string;
  model: string;
  currency: Currency;
  /** The images that would be sent (not cached, not skipped), with their plans. */
  sending: { img: Image; plan: Plan }[];
  total: Estimate;
  cached: string[];
  skipped: string[];
}

/**
 * json: `{"model","images":[{path,mime,bytes,sha256,estimate}],"estimate":{…},"cached":[paths],"skipped":[paths]}`;
 * jsonl: one `{path,mime,bytes,sha256,estimate}` line per image; otherwise a table and the estimate line.
 */
export function printEachDryRun(d: DryRun, io: Io): void {
  const entry = ({ img, plan }: { img: Image; plan: Plan }) => ({ ...imageSummary(img), estimate: plan.estimate });
  if (d.format === 'json') {
    const out = { model: d.model, images: d.sending.map(entry), estimate: d.total, cached: d.cached, skipped: d.skipped };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (d.format === 'jsonl') {
    for (const x of d.sending) io.stdout.write(`${JSON.stringify(entry(x))}\n`);
    return;
  }
  for (const { img, plan } of d.sending) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    io.stdout.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\t~${formatInt(plan.estimate.input_tokens)} tokens\n`);
  }
  const priced = hasPrice(d.model, d.currency);
  io.stdout.write(`${estimateLine(d.total, { images: d.sending.length, model: d.model, priced, perImage: { cached: d.cached.length, skipped: d.skipped.length } })}\n`);
}

/** The bad inputs a dry run met, each on stderr as the run would record it; the exit code of the first (0 when none). */
export function reportBadInputs(work: readonly Input[], term: Pick<Terminal, 'error'>): number {
  const bad = work.filter(isBadInput);
  for (const x of bad) term.error(x.error.message, x.error.hint);
  return bad[0]?.error.exitCode ?? EXIT.ok;
}
