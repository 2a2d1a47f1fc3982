// One document's part of the output once its captions are settled: a record per image taken (in
// page order), the row of the Markdown report, and the alt-text edits to write. A caption used at
// several places carries its usage and cost on the first of them only, so records add up to what
// was billed. Pure.
import type { AltTask } from './plan.js';
import type { AltEdit } from './edit.js';
import type { Caption } from './job.js';
import type { CaptionOutcome } from './outcome.js';
import type { AltRecord, RecordReason, ReportRow } from './report.js';
import { relativeLink } from '../results/formats.js';
import type { RecordError } from '../results/record.js';
import { redactUrl } from '../secrets.js';
import type { ImageSource } from './source.js';

export interface DocOutput {
  records: AltRecord[];
  rows: ReportRow[];
  edits: AltEdit[];
}

/** What a task is to the output: its caption (index and value) and that caption's outcome, if settled. */
export interface TaskResult {
  task: AltTask;
  caption: Caption;
  /** This task is the caption's first use (it carries the usage and cost). */
  first: boolean;
  outcome: CaptionOutcome | undefined;
}

export const reasonOf = (t: AltTask): RecordReason => t.verdict?.reason ?? 'all';

/** The output of a document; `cwd` for the report's links to image files. */
export function docOutput(results: readonly TaskResult[], cwd: string): DocOutput {
  const out: DocOutput = { records: [], rows: [], edits: [] };
  for (const { task, caption, first, outcome } of results) {
    const img = task.image;
    const got = outcome?.kind === 'alt' ? outcome : undefined;
    const failure = outcome?.kind === 'failed' ? outcome : undefined;
    const paid = first ? (got ?? failure) : undefined;
    out.records.push({
      doc: task.doc,
      line: img.line,
      column: img.column,
      src: img.src,
      image_sha256: caption.input.kind === 'image' ? caption.input.image.sha256 : null,
      old_alt: img.alt ?? null,
      alt: got?.alt ?? null,
      reason: reasonOf(task),
      cached: got?.cached ?? false,
      usage: paid?.usage ?? null,
      cost: paid?.cost ?? null,
      error: failure?.error ?? null,
    });
    out.rows.push({
      ...rowOf(task, linkOf(caption.source, cwd)),
      alt: got?.alt ?? null,
      error: failure?.error.message ?? null,
      skipped: outcome?.kind === 'skipped' ? outcome.why : undefined,
    });
    if (got) out.edits.push({ target: img.target, alt: got.alt });
  }
  return out;
}

/** The records of a document that could not be written: each alt text it would have had carries the failure. */
export function withWriteFailure(records: readonly AltRecord[], error: RecordError): AltRecord[] {
  return records.map((r) => (r.alt !== null && r.error === null ? { ...r, error } : r));
}

/** A report row without a new alt text (--check, and the base of docOutput's rows). */
export function rowOf(task: AltTask, link: string | undefined): ReportRow {
  const img = task.image;
  return { doc: task.doc, line: img.line, column: img.column, src: img.src, link, reason: reasonOf(task), oldAlt: img.alt ?? null, alt: null, error: null };
}

/** Where a report links an image: the file relative to where the tool ran, or the URL (credentials hidden). */
export function linkOf(source: ImageSource, cwd: string): string | undefined {
  if (source.kind === 'file') return relativeLink(cwd, source.file);
  if (source.kind === 'remote') return redactUrl(source.url);
  return undefined;
}
