// What an alt run puts out, document by document in document order, as each one's captions are
// settled: its part of the patch (the default), its records (jsonl), its rows of the report
// (markdown, printed whole at the end), and with --write the document itself, replaced atomically
// unless it changed on disk meanwhile. The exit code: the first failure's in document and page order.
import { KvError } from '../errors.js';
import { plural } from '../format.js';
import { recordError } from '../results/record.js';
import type { Caption } from './job.js';
import type { AltDoc } from './load.js';
import type { CaptionOutcome } from './outcome.js';
import { unifiedDiff } from './patch.js';
import { docOutput, withWriteFailure, type TaskResult } from './records.js';
import { jsonlRecord, markdownReport, type ReportRow } from './report.js';
import type { AltJob } from './job.js';
import type { AltTotals } from './totals.js';
import { writeAltTexts } from './write.js';
import { writeDocument } from './write-doc.js';

export class AltOutput {
  private readonly rows: ReportRow[] = [];
  /** Documents are put out one after another (a write finishes before the next document's output). */
  private tail: Promise<void> = Promise.resolve();
  /** The exit code of the first failure of each document put out that has one. */
  private readonly failures = new Map<number, number>();
  private readonly emitted = new Set<number>();

  constructor(
    private readonly job: AltJob,
    private readonly docs: readonly AltDoc[],
    private readonly captions: readonly Caption[],
    private readonly index: readonly number[][],
    private readonly outcomes: readonly (CaptionOutcome | undefined)[],
    private readonly totals: AltTotals,
  ) {}

  /** Document d is settled (called in document order). */
  emit(d: number): void {
    this.emitted.add(d);
    this.tail = this.tail.then(() => this.emitDoc(d));
  }

  /** Once every settled document is out: the Markdown report, and the exit code. */
  async end(): Promise<number> {
    await this.tail;
    const { s, term } = this.job;
    if (s.format === 'markdown') {
      const failed = this.totals.failed ? `; ${plural(this.totals.failed, 'image')} failed` : '';
      term.out(markdownReport(this.rows, { title: 'Alt text', summary: `${capital(this.totals.changes(this.kind()))}${failed}.` }));
    }
    // A document never put out (a stopped run) still has the failures of its settled captions.
    for (const d of this.docs.keys()) {
      const code = this.failures.get(d) ?? (this.emitted.has(d) ? undefined : this.settledFailure(d));
      if (code !== undefined) return code;
    }
    return 0;
  }

  private settledFailure(d: number): number | undefined {
    const doc = this.docs[d] as AltDoc;
    if (!doc.ok) return doc.error.exitCode;
    for (const r of this.results(d)) if (r.outcome?.kind === 'failed') return r.outcome.error.code;
    return undefined;
  }

  kind(): 'write' | 'patch' | 'proposed' {
    const { s } = this.job;
    return s.mode === 'write' ? 'write' : s.format === 'default' ? 'patch' : 'proposed';
  }

  private async emitDoc(d: number): Promise<void> {
    const { s, term, io } = this.job;
    const doc = this.docs[d] as AltDoc;
    if (!doc.ok) return void this.failures.set(d, doc.error.exitCode);
    const out = docOutput(this.results(d), io.cwd);
    let { records, rows } = out;
    if (out.edits.length > 0) {
      const after = writeAltTexts(doc.doc.text, doc.doc.kind, out.edits);
      if (s.mode === 'write') {
        try {
          await writeDocument(doc.doc, after);
          this.totals.changed(out.edits.length);
          term.note(`wrote ${doc.doc.shownAs} (${plural(out.edits.length, 'alt text')})`);
        } catch (err) {
          if (!(err instanceof KvError)) throw err;
          term.error(err.message, err.hint);
          records = withWriteFailure(records, recordError(err));
          rows = rows.map((r) => (r.alt !== null && r.error === null ? { ...r, error: err.message } : r));
        }
      } else {
        this.totals.changed(out.edits.length);
        if (s.format === 'default') term.out(unifiedDiff(doc.doc.shownAs, doc.doc.text, after));
      }
    }
    if (s.format === 'jsonl') for (const r of records) term.out(jsonlRecord(r));
    if (s.format === 'markdown') this.rows.push(...rows);
    const failed = records.find((r) => r.error !== null);
    if (failed?.error) this.failures.set(d, failed.error.code);
  }

  private results(d: number): TaskResult[] {
    const doc = this.docs[d] as Extract<AltDoc, { ok: true }>;
    return doc.plan.tasks.map((task, t) => {
      const i = this.index[d]?.[t] as number;
      const caption = this.captions[i] as Caption;
      const use = caption.uses[0];
      return { task, caption, first: use?.doc === d && use.task === t, outcome: this.outcomes[i] };
    });
  }
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
