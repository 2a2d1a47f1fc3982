// The documents of an alt run: found (files, globs, folders; git-ignored paths skipped), read, and
// planned (their images, which of them to caption, where each image is). A document that cannot be
// read is that document's failure, said at once; the others go on.
import { mapBounded } from '../concurrency.js';
import { KvError, UsageError } from '../errors.js';
import { formatInt, plural } from '../format.js';
import { readDocument, resolveDocuments, type DocumentFile, type LoadedDocument } from '../inputs/documents.js';
import type { AltJob } from './job.js';
import { planDocument, type DocumentPlan } from './plan.js';

export type AltDoc = { ok: true; doc: LoadedDocument; plan: DocumentPlan } | { ok: false; doc: DocumentFile; error: KvError };

/** Documents read at once: a docs folder of thousands of pages must not exhaust the open-file limit. */
const READ_PARALLEL = 8;

export async function loadDocuments(inputs: readonly string[], job: AltJob): Promise<AltDoc[]> {
  const { io, term, s } = job;
  const found = await resolveDocuments(inputs, io.cwd);
  for (const line of found.notes) term.warn(line);
  if (found.documents.length === 0) {
    throw new UsageError(`no document matched ${inputs.join(' ')}.`, 'Give Markdown (.md, .markdown), MDX (.mdx) or HTML (.html, .htm) files, quoted globs or folders.');
  }
  const docs = await mapBounded(found.documents, READ_PARALLEL, async (file): Promise<AltDoc> => {
    try {
      const doc = await readDocument(file);
      return { ok: true, doc, plan: planDocument(doc, { root: s.root, all: s.all, ...(s.lang ? { lang: s.lang } : {}) }) };
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      return { ok: false, doc: file, error: err };
    }
  });
  for (const d of docs) {
    if (!d.ok) term.error(d.error.message, d.error.hint);
    else for (const n of d.plan.notes) term.note(`${d.doc.shownAs}:${n.line}:${n.column}: ${n.message}`);
  }
  return docs;
}

/** "3 documents: 14 images, 5 without alt text (3 missing, 1 generic, 1 file-name)"; with --all, how many are taken. */
export function scanLine(docs: readonly AltDoc[], all: boolean): string {
  const read = docs.filter((d): d is Extract<AltDoc, { ok: true }> => d.ok);
  const images = read.reduce((n, d) => n + d.plan.images.length, 0);
  const tasks = read.flatMap((d) => d.plan.tasks);
  const counts = new Map<string, number>();
  for (const t of tasks) if (t.verdict) counts.set(t.verdict.reason, (counts.get(t.verdict.reason) ?? 0) + 1);
  const findings = [...counts.values()].reduce((a, b) => a + b, 0);
  const why = [...counts.entries()].map(([reason, n]) => `${formatInt(n)} ${reason}`).join(', ');
  const failed = docs.length - read.length;
  const head = `${plural(docs.length, 'document')}${failed ? ` (${formatInt(failed)} not read)` : ''}: ${plural(images, 'image')}`;
  const missing = findings ? `${formatInt(findings)} without alt text (${why})` : 'none without alt text';
  return `${head}, ${missing}${all ? `; --all: ${formatInt(tasks.length)} to caption` : ''}`;
}
