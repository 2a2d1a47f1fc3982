// alt --check: the CI gate. Documents are read and judged, nothing else: no image is read or
// downloaded, no key is needed, nothing is sent. One line per finding (sorted), or their records
// (jsonl) or the report (markdown); exit 7 when there are any, unless a document could not be read
// (that failure's code comes first, as everywhere).
import { EXIT, KvError } from '../errors.js';
import { formatInt, plural } from '../format.js';
import type { AltJob } from './job.js';
import type { AltDoc } from './load.js';
import { checkFindings } from './plan.js';
import { linkOf, reasonOf, rowOf } from './records.js';
import { checkLines, jsonlRecord, markdownReport } from './report.js';

export function runCheck(job: AltJob, docs: readonly AltDoc[]): number {
  const { term, s, io } = job;
  const read = docs.flatMap((d) => (d.ok ? [d] : []));
  const tasks = read.flatMap((d) => d.plan.tasks.filter((t) => t.verdict !== undefined));
  const inDocs = new Set(tasks.map((t) => t.doc)).size;
  const summary =
    tasks.length === 0
      ? `every image in ${plural(read.length, 'document')} has alt text`
      : `${plural(tasks.length, 'image')} without alt text in ${formatInt(inDocs)} of ${plural(read.length, 'document')}`;
  if (s.format === 'jsonl') {
    for (const t of tasks) {
      const img = t.image;
      const record = {
        doc: t.doc,
        line: img.line,
        column: img.column,
        src: img.src,
        image_sha256: null,
        old_alt: img.alt ?? null,
        alt: null,
        reason: reasonOf(t),
        cached: false,
        usage: null,
        cost: null,
        error: null,
      };
      term.out(jsonlRecord(record));
    }
  } else if (s.format === 'markdown') {
    const rows = tasks.map((t) => rowOf(t, linkOf(t.source, io.cwd)));
    term.out(markdownReport(rows, { title: 'Images without alt text', summary: `${capital(summary)}.`, proposed: false }));
  } else {
    term.out(checkLines(read.flatMap((d) => checkFindings(d.plan))));
  }
  const failed = docs.find((d) => !d.ok);
  if (failed && !failed.ok) return failed.error.exitCode;
  if (tasks.length === 0) return EXIT.ok;
  throw new KvError(
    EXIT.check,
    `check found images without alt text (${plural(tasks.length, 'image')} in ${plural(inDocs, 'document')}).`,
    'Write them, or let `kimi-vision alt --write` propose them; alt="" marks an image as decorative in HTML.',
  );
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
