// A finished batch, read back: its output and error files by custom_id, each image's entry in input
// order (the manifest's), and the record built for it, with its sidecar when --write asks.
import type { MoonshotClient } from '../api/client.js';
import { explainApiError } from '../api/explain.js';
import { ApiError, EXIT, KvError } from '../errors.js';
import { plural } from '../format.js';
import type { Terminal } from '../output/terminal.js';
import { failedAnswerRecord, type RecordSubject } from '../results/record.js';
import { sidecarFailure, writeSidecar, type SidecarExt } from '../results/sidecar.js';
import type { Settings } from '../settings.js';
import { indexOfCustomId } from './lines.js';
import type { Manifest, ManifestImage } from './manifest.js';
import { buildRecord, missingOutcome, parseResultLines, type Built, type Outcome, type RecordContext } from './results.js';
import type { BatchInfo } from './status.js';

/** One image of a fetched batch: who it is, where its sidecar goes, what the batch said. */
export interface Entry {
  subject: RecordSubject;
  file: string | undefined;
  outcome: Outcome;
  ctx: RecordContext;
}

/** GET /batches/{id}; a 404 says which id and why it may be missing. */
export async function getBatch(client: MoonshotClient, id: string): Promise<unknown> {
  try {
    return await client.getJson(`/batches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new KvError(
        EXIT.rejected,
        `no batch ${id} at ${client.host} (${err.status}${err.type ? ` ${err.type}` : ''}: ${err.message}).`,
        'Check the id batch submit printed; batches belong to the key that made them, on its platform (.cn or .ai).',
      );
    }
    if (err instanceof ApiError) throw explainApiError(err, { model: 'the batch' });
    throw err;
  }
}

/** The output and error files of a finished batch, read into one map by custom_id. */
export async function downloadResults(client: MoonshotClient, batch: BatchInfo, term: Terminal): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>();
  for (const fileId of [batch.outputFileId, batch.errorFileId]) {
    if (!fileId) continue;
    const { unreadable } = parseResultLines(await client.getText(`/files/${encodeURIComponent(fileId)}/content`), results);
    if (unreadable > 0) term.warn(`${plural(unreadable, 'line')} of ${fileId} (${batch.id}) could not be read and ${unreadable === 1 ? 'was' : 'were'} skipped.`);
  }
  return results;
}

/** The images of a batch in input order (the manifest's), each with its outcome; results the manifest does not know come after. */
export function entriesOf(batch: BatchInfo, m: Manifest | undefined, results: Map<string, Outcome>, settings: Settings, term: Terminal): Entry[] {
  const ctx: RecordContext = { model: m?.model ?? settings.model, currency: m?.currency ?? settings.currency, maxChars: m?.max_chars };
  const entries: Entry[] = Object.entries(m?.images ?? {}).map(([id, img]: [string, ManifestImage]) => {
    const outcome = results.get(id) ?? missingOutcome(batch, id);
    results.delete(id);
    return { subject: { path: img.path, sha256: img.sha256, mime: img.mime }, file: img.file, outcome, ctx };
  });
  if (!m) term.warn(`no manifest for ${batch.id} on this machine: each record's path is its custom_id, with sha256 and mime empty (batch submit keeps the manifest where it ran).`);
  else if (results.size > 0)
    term.warn(`${plural(results.size, 'result')} of ${batch.id} ${results.size === 1 ? 'is' : 'are'} not in its manifest; printed with the custom_id as path.`);
  const order = (id: string) => indexOfCustomId(id) ?? Number.MAX_SAFE_INTEGER;
  const rest = [...results.entries()].sort(([a], [b]) => order(a) - order(b));
  for (const [id, outcome] of rest) entries.push({ subject: { path: id, sha256: '', mime: '' }, file: undefined, outcome, ctx });
  return entries;
}

/** The record of one image; with --write, its sidecar (a sidecar that cannot be written fails the image, as with --each). */
export async function finishEntry(e: Entry, write: SidecarExt | undefined, term: Terminal): Promise<Built> {
  let built = await buildRecord(e.subject, e.outcome, e.ctx);
  const r = built.record;
  if (!r.error && write && e.file) {
    try {
      await writeSidecar(r, e.file, write);
    } catch (err) {
      const failure = sidecarFailure(err, r.path, write);
      built = { record: failedAnswerRecord(r, failure), spent: built.spent, hint: failure.hint };
    }
  }
  const done = built.record;
  if (done.error) term.error(`${done.path}: ${done.error.message}`, built.hint);
  else if (!done.text.trim()) term.warn(`${done.path}: the model returned an empty answer.`);
  else if (done.finish_reason === 'length') term.warn(`${done.path}: the answer was cut off at the output token limit (finish_reason length); raise --max-tokens to get more.`);
  return built;
}
