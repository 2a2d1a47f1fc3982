// `kimi-vision batch fetch <ids...>`: the results of finished batches written as describe --each
// writes them (text, JSONL, Markdown, sidecars), in input order; exit 75 while not finished, or
// --wait polls until they are.
import { sleep } from '../../api/sleep.js';
import { downloadResults, entriesOf, finishEntry, getBatch, type Entry } from '../../batch/fetched.js';
import { loadManifest } from '../../batch/manifest.js';
import { FINISHED, batchElapsed, nextPollDelay, progressLine, readBatch } from '../../batch/status.js';
import { terminalClient } from '../../client/terminal-client.js';
import { commandSettings } from '../../config.js';
import { EXIT, UsageError, interruptedBy } from '../../errors.js';
import { formatSeconds } from '../../format.js';
import type { Io } from '../../io.js';
import { Terminal } from '../../output/terminal.js';
import { jsonlLine, markdownFooter, markdownSection, mediaLink, textSection } from '../../results/formats.js';
import type { ImageRecord } from '../../results/record.js';
import type { SidecarExt } from '../../results/sidecar.js';
import { Totals } from '../../results/totals.js';
import { apiKey } from '../../settings.js';

export interface BatchFetchOptions {
  baseUrl?: string;
  insecureHttp?: boolean;
  quiet?: boolean;
  format?: 'text' | 'jsonl' | 'markdown';
  write?: SidecarExt;
  wait?: boolean;
  /** Seconds before the first poll of --wait (then growing by half each time). */
  pollInterval?: number;
}

const DEFAULT_POLL_SECONDS = 10;
const MAX_POLL_MS = 5 * 60_000;

export async function batchFetch(given: string[], o: BatchFetchOptions, io: Io): Promise<number> {
  const ids = [...new Set(given)];
  const term = await Terminal.open(io, o.quiet);
  const { settings, config } = commandSettings(o, io.env, (line) => term.warn(line));
  const format = o.format ?? (config.format === 'json' ? 'jsonl' : 'text');
  const manifests = await Promise.all(ids.map((id) => loadManifest(io.env, id)));
  if (o.write) {
    const missing = ids.filter((_, i) => !manifests[i]);
    if (missing.length > 0)
      throw new UsageError(
        `--write needs the manifest batch submit left on this machine; there is none for ${missing.join(', ')}.`,
        'Run batch fetch where you ran batch submit, or drop --write.',
      );
    const notFile = manifests.flatMap((m) => Object.values(m?.images ?? {})).find((img) => !img.file);
    if (notFile)
      throw new UsageError(`--write ${o.write} puts a sidecar next to each image file; ${notFile.path} is not a file.`, 'Drop --write for batches of stdin or URL inputs.');
  }
  const client = terminalClient(settings.baseUrl, apiKey(io.env, config), io, term);
  const started = io.monotonicMs();
  try {
    let batches = await Promise.all(ids.map(async (id) => readBatch(await getBatch(client, id), client.host)));
    const unfinished = () => batches.filter((b) => !FINISHED.has(b.status));
    if (unfinished().length > 0 && !o.wait) {
      for (const b of unfinished()) term.warn(`${b.id} is not finished (${progressLine(b)}). Run batch fetch again later, or add --wait.`);
      return EXIT.temporary;
    }
    let delay = (o.pollInterval ?? DEFAULT_POLL_SECONDS) * 1000;
    let said = '';
    while (unfinished().length > 0) {
      const waiting = unfinished();
      const progress = `waiting for ${waiting.map((b) => `${b.id} (${progressLine(b)})`).join(', ')}`;
      if (term.interactive) await term.startSpinner(`${progress}; next check in ${formatSeconds(delay)}`);
      else if (progress !== said) term.note(progress); // off a terminal: a line when something changed
      said = progress;
      await sleep(delay, io.signal).catch(() => {
        throw interruptedBy(io.signal);
      });
      delay = nextPollDelay(delay, Math.max(delay, MAX_POLL_MS));
      const again = await Promise.all(waiting.map(async (b) => readBatch(await getBatch(client, b.id), client.host)));
      batches = batches.map((b) => again.find((x) => x.id === b.id) ?? b);
    }
    term.stopSpinner();

    const entries: Entry[] = [];
    for (const [i, batch] of batches.entries()) entries.push(...entriesOf(batch, manifests[i], await downloadResults(client, batch, term), settings, term));
    const totals = new Totals(entries.length, 0, entries[0]?.ctx.currency ?? settings.currency);
    const records: ImageRecord[] = [];
    let shown = 0;
    for (const e of entries) {
      const r = await finishEntry(e, o.write, term);
      totals.add(r.record, r.spent);
      records.push(r.record);
      if (format === 'jsonl') io.stdout.write(jsonlLine(r.record));
      else if (format === 'markdown')
        io.stdout.write(markdownSection(r.record, mediaLink({ path: e.subject.path, source: e.file ? { kind: 'file', file: e.file } : { kind: 'memory' } }, io.cwd)));
      else {
        io.stdout.write(textSection(r.record, shown === 0));
        if (!r.record.error) shown += 1;
      }
    }
    const elapsed = batchElapsed(batches) ?? io.monotonicMs() - started;
    if (format === 'markdown') io.stdout.write(markdownFooter(totals.summary(elapsed)));
    term.note(totals.summary(elapsed));
    return records.find((r) => r.error)?.error?.code ?? EXIT.ok;
  } catch (err) {
    if (io.signal.aborted) throw interruptedBy(io.signal);
    throw err;
  } finally {
    term.stopSpinner();
    await client.close();
  }
}
