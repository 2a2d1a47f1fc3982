// --each --dry-run: what would be sent, image by image, and the total; nothing is sent, no key needed.
import type { Estimate } from '../estimate/estimate.js';
import { hasPrice } from '../estimate/estimate.js';
import { EXIT } from '../errors.js';
import { isBadInput } from '../inputs/bad-input.js';
import type { ImageList } from './image-list.js';
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
  /** The images that would be sent (not cached, not skipped), each planned as it is printed. */
  sending: Iterable<{ img: Image; plan: Plan }>;
  /** How many `sending` yields. */
  toSend: number;
  total: Estimate;
  cached: string[];
  skipped: string[];
}

/**
 * json: `{"model","images":[{path,mime,bytes,sha256,estimate}],"estimate":{…},"cached":[paths],"skipped":[paths]}`;
 * jsonl: one `{path,mime,bytes,sha256,estimate}` line per image; otherwise a table and the estimate line.
 * Printed image by image, so a dry run over a huge folder holds no plan but the one printed.
 */
export function printEachDryRun(d: DryRun, io: Io): void {
  const entry = ({ img, plan }: { img: Image; plan: Plan }) => ({ ...imageSummary(img), estimate: plan.estimate });
  const out = batched(io);
  if (d.format === 'json') {
    // The one document, written in pieces: the same bytes as JSON.stringify of the whole.
    out.write(`{"model":${JSON.stringify(d.model)},"images":[`);
    let first = true;
    for (const x of d.sending) {
      out.write(`${first ? '' : ','}${JSON.stringify(entry(x))}`);
      first = false;
    }
    out.write(`],"estimate":${JSON.stringify(d.total)},"cached":${JSON.stringify(d.cached)},"skipped":${JSON.stringify(d.skipped)}}\n`);
  } else if (d.format === 'jsonl') {
    for (const x of d.sending) out.write(`${JSON.stringify(entry(x))}\n`);
  } else {
    printTable(d, out);
  }
  out.end();
}

function printTable(d: DryRun, out: ReturnType<typeof batched>): void {
  for (const { img, plan } of d.sending) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    out.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\t~${formatInt(plan.estimate.input_tokens)} tokens\n`);
  }
  const priced = hasPrice(d.model, d.currency);
  out.write(`${estimateLine(d.total, { images: d.toSend, model: d.model, priced, perImage: { cached: d.cached.length, skipped: d.skipped.length } })}\n`);
}

/** 64 KiB: a line a write was a system call per image. */
const BATCH = 64 * 1024;

/**
 * Output gathered into writes of up to 64 KiB, in a buffer outside V8's heap: held as strings, the
 * lines waiting for their write were what a dry run's young collections found alive (30-100 KB at
 * each, one every few ms while it prints: the young generation doubled once more over 20,000 files).
 */
function batched(io: Io): { write(text: string): void; end(): void } {
  let buf = Buffer.allocUnsafe(BATCH);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    io.stdout.write(buf.subarray(0, used));
    buf = Buffer.allocUnsafe(BATCH);
    used = 0;
  };
  return {
    write(text) {
      // At most 3 bytes of UTF-8 per UTF-16 unit: what may not fit goes after a flush, or on its own.
      if (used + 3 * text.length > BATCH) flush();
      if (3 * text.length > BATCH) io.stdout.write(text);
      else used += buf.write(text, used);
    },
    end: flush,
  };
}

/** The bad inputs a dry run met, each on stderr as the run would record it; the exit code of the first (0 when none). */
export function reportBadInputs(work: ImageList, term: Pick<Terminal, 'error'>): number {
  let first: number | undefined;
  for (let i = 0; i < work.length; i++) {
    const x = work.get(i);
    if (!isBadInput(x)) continue;
    term.error(x.error.message, x.error.hint);
    first ??= x.error.exitCode;
  }
  return first ?? EXIT.ok;
}
