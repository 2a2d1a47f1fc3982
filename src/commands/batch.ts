// `kimi-vision batch submit|status|fetch`: describe --each on Moonshot's Batch API. submit writes
// one request per image into JSONL files of at most 100 MB (streamed from disk), uploads each with
// purpose batch and creates a batch per file, printing the ids; fetch maps the output file back to
// the images through the local manifest and writes what --each writes (JSONL, text, Markdown, sidecars).
import { terminalClient } from '../client/terminal-client.js';
import { commandInputs } from './inputs.js';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MoonshotClient, sleep } from '../api/client.js';
import { explainApiError } from '../api/explain.js';
import { BATCH_ENDPOINT, MAX_BATCH_FILE_BYTES, batchLine, customId, indexOfCustomId, splitBySize } from '../batch/lines.js';
import { loadManifest, manifestImage, saveManifest, type Manifest, type ManifestImage } from '../batch/manifest.js';
import { buildRecord, missingOutcome, parseResultLines, type Built, type Outcome, type RecordContext } from '../batch/results.js';
import { FINISHED, nextPollDelay, progressLine, readBatch, statusText, type BatchInfo } from '../batch/status.js';
import { loadConfig } from '../config.js';
import { jsonlLine, markdownFooter, markdownSection, mediaLink, textSection } from '../results/formats.js';
import { failureRecord, ImageFailure, type ImageRecord, type RecordSubject } from '../results/record.js';
import { inShard, parseShard, shardName } from '../inputs/shard.js';
import { looksLikeSidecar, writeSidecar, type SidecarExt } from '../results/sidecar.js';
import { estimateLine, sumEstimates, Totals } from '../results/totals.js';
import { ApiError, EXIT, InterruptedError, KvError, MoneyError, UsageError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { imageSummary, type Image } from '../inputs/image.js';
import { readPromptFile } from '../inputs/prompt-file.js';
import type { ResizeOptions } from '../inputs/resize-plan.js';
import type { Io } from '../io.js';
import { formatBytes, formatInt, formatMoney, formatSeconds, plural } from '../format.js';
import { Terminal } from '../output/terminal.js';
import { makePlan, overContext, type Plan } from '../plan/plan.js';
import { bodyChunks, checkBodySize, type BodyPlan } from '../request/body.js';
import { defaultPrompt, describeMessages, withMaxChars } from '../request/messages.js';
import { apiKey, resolveSettings, type Config, type Settings } from '../settings.js';

interface Common {
  baseUrl?: string;
  insecureHttp?: boolean;
  quiet?: boolean;
}

export interface BatchSubmitOptions extends Common, ResizeOptions {
  prompt?: string;
  promptFile?: string;
  system?: string;
  model?: string;
  maxTokens?: number;
  temperature?: number;
  thinking?: 'on' | 'off';
  effort?: string;
  maxChars?: number;
  dryRun?: boolean;
  format?: 'text' | 'json';
  maxCost?: number;
  shard?: string;
  /** MB (MiB) per input file, at most 100. */
  maxFileSize?: number;
}

export interface BatchStatusOptions extends Common {
  format?: 'text' | 'json';
}

export interface BatchFetchOptions extends Common {
  format?: 'text' | 'jsonl' | 'markdown';
  write?: SidecarExt;
  wait?: boolean;
  /** Seconds before the first poll of --wait (then growing by half each time). */
  pollInterval?: number;
}

export const DEFAULT_POLL_SECONDS = 10;
const MB = 1024 * 1024;
const MAX_POLL_MS = 5 * 60_000;

export async function batchSubmit(inputs: string[], o: BatchSubmitOptions, io: Io): Promise<number> {
  if (o.promptFile !== undefined) o = { ...o, prompt: await readPromptFile(o.promptFile, io.cwd, o.prompt !== undefined) };
  if (o.format === 'json' && !o.dryRun) throw new UsageError('--format json is for --dry-run; batch submit prints the batch ids, one per line.');
  if (o.maxFileSize !== undefined && o.maxFileSize * MB > MAX_BATCH_FILE_BYTES) {
    throw new UsageError(`--max-file-size ${o.maxFileSize} is above the 100 MB a batch input file may have.`, 'Give at most 100; the default is 100.');
  }
  const term = await Terminal.open(io, o.quiet);
  const config = loadConfig(io.env, (line) => term.warn(line));
  const settings = resolveSettings(o, io.env, config);
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  const { images: resolved, resizer } = await commandInputs(inputs, o, io, term, { expected: looksLikeSidecar });
  const images = shard ? resolved.filter((img) => inShard(shardName(img, io.cwd), shard)) : resolved;
  await resizer?.resize(images, term);
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(images.length)} of ${formatInt(resolved.length)} inputs`);
  if (images.length === 0) throw new UsageError(`shard ${shard?.index}/${shard?.count} has none of the ${resolved.length} inputs.`, 'Each image is in exactly one shard; this job has nothing to submit.');

  // One request per image, as describe --each sends it, but whole (a batch does not stream).
  const prompt = withMaxChars(o.prompt ?? config.prompt ?? defaultPrompt(1), o.maxChars);
  const plans = images.map((img) => {
    const plan = makePlan([img], describeMessages([img], prompt, o.system), { ...paramOptions(o, settings.model), stream: false }, settings.currency);
    checkBodySize(plan.body);
    return plan;
  });
  const requests = images.map((img, i) => {
    const plan = plans[i] as Plan;
    const id = customId(i, img.sha256);
    return { img, plan, id, line: batchLine(id, plan.body) };
  });
  const limit = Math.floor((o.maxFileSize ?? MAX_BATCH_FILE_BYTES / MB) * MB);
  const groups = splitBySize(
    requests.map((r) => ({ ...r, bytes: r.line.bytes })),
    limit,
    (r) => r.img.path,
  );
  const estimate = sumEstimates(plans.map((p) => p.estimate), settings.currency);
  const priced = hasPrice(settings.model, settings.currency);
  const over = plans.filter((p) => overContext(p, o.maxTokens) !== undefined).length;

  if (o.dryRun) {
    if (o.format === 'json') {
      const out = {
        model: settings.model,
        batches: groups.map((g) => ({ requests: g.length, bytes: sum(g.map((r) => r.bytes)), custom_ids: g.map((r) => r.id) })),
        images: requests.map((r) => ({ custom_id: r.id, ...imageSummary(r.img), estimate: r.plan.estimate })),
        estimate,
      };
      io.stdout.write(`${JSON.stringify(out)}\n`);
      return EXIT.ok;
    }
    for (const r of requests) {
      const size = r.img.dimensions ? `${r.img.dimensions.width}x${r.img.dimensions.height}` : 'size unknown';
      io.stdout.write(`${r.id}\t${r.img.path}\t${r.img.mime}\t${formatBytes(r.img.bytes)}\t${size}\t~${formatInt(r.plan.estimate.input_tokens)} tokens\n`);
    }
    groups.forEach((g, i) => io.stdout.write(`batch ${i + 1} of ${groups.length}: ${plural(g.length, 'request')}, ${formatBytes(sum(g.map((r) => r.bytes)))}\n`));
    io.stdout.write(`${estimateLine(images.length, estimate, settings.model, priced, { cached: 0, skipped: 0 })}\n`);
    return EXIT.ok;
  }

  const key = apiKey(io.env, config);
  term.note(`${estimateLine(images.length, estimate, settings.model, priced, { cached: 0, skipped: 0 })} · ${groups.length === 1 ? '1 batch' : `${formatInt(groups.length)} batches`}`);
  if (over > 0) term.warn(`${plural(over, 'request')} ${over === 1 ? 'is' : 'are'} estimated over ${settings.model}'s context; the API will likely refuse ${over === 1 ? 'it' : 'them'}.`);
  if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(estimate.cost)} of ${plural(images.length, 'image')} is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer images (--shard splits a folder), or pick a cheaper model.',
    );
  }

  const client = terminalClient(settings.baseUrl, key, io, term);
  const tmp = await mkdtemp(path.join(tmpdir(), 'kimi-vision-batch-'));
  let submitted = 0;
  try {
    for (const [i, group] of groups.entries()) {
      if (io.signal.aborted) throw interrupted(io);
      const part = `${i + 1}/${groups.length}`;
      const file = path.join(tmp, `kimi-vision-batch-${i + 1}.jsonl`);
      const bytes = await writeJsonl(file, group.map((r) => r.line));
      await term.startSpinner(`Uploading batch ${part} (${plural(group.length, 'request')}, ${formatBytes(bytes)})…`);
      const fileId = await client.uploadFile(await openAsBlob(file, { type: 'application/jsonl' }), path.basename(file), 'batch');
      await rm(file, { force: true });
      const metadata = { created_by: 'kimi-vision', part, requests: String(group.length) };
      const batch = readBatch(await client.postJson('/batches', { input_file_id: fileId, endpoint: BATCH_ENDPOINT, completion_window: '24h', metadata }), client.host);
      term.stopSpinner();
      await saveManifest(io.env, {
        batch_id: batch.id,
        input_file_id: fileId,
        model: settings.model,
        currency: settings.currency,
        ...(o.maxChars !== undefined ? { max_chars: o.maxChars } : {}),
        part: i + 1,
        parts: groups.length,
        created_at: new Date().toISOString(),
        images: Object.fromEntries(group.map((r) => [r.id, manifestImage(r.img)])),
      }).catch((err: Error) => term.warn(`the manifest of ${batch.id} cannot be written (${err.message}); batch fetch will print custom ids instead of paths.`));
      io.stdout.write(`${batch.id}\n`);
      submitted += 1;
      term.note(`batch ${part}: ${batch.id} (${plural(group.length, 'request')}, ${formatBytes(bytes)}), ${batch.status}`);
    }
    term.note(`Check with: kimi-vision batch status <id>; get the results with: kimi-vision batch fetch <id> (--wait to wait for them).`);
    return EXIT.ok;
  } catch (err) {
    term.stopSpinner();
    if (submitted > 0) term.warn(`${submitted} of ${groups.length} batches were submitted before this (their ids are on stdout; batch fetch gets their results); the images of the others were not.`);
    if (io.signal.aborted) throw interrupted(io);
    throw err;
  } finally {
    term.stopSpinner();
    await rm(tmp, { recursive: true, force: true });
    await client.close();
  }
}

export async function batchStatus(ids: string[], o: BatchStatusOptions, io: Io): Promise<number> {
  const term = await Terminal.open(io, o.quiet);
  const { settings, config } = setup(o, io, term);
  const client = terminalClient(settings.baseUrl, apiKey(io.env, config), io, term);
  try {
    for (const id of ids) {
      const raw = await getBatch(client, id);
      io.stdout.write(o.format === 'json' ? `${JSON.stringify(raw)}\n` : statusText(readBatch(raw, client.host)));
    }
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

export async function batchFetch(given: string[], o: BatchFetchOptions, io: Io): Promise<number> {
  const ids = [...new Set(given)];
  const term = await Terminal.open(io, o.quiet);
  const { settings, config } = setup(o, io, term);
  const format = o.format ?? (config.format === 'json' ? 'jsonl' : 'text');
  const manifests = await Promise.all(ids.map((id) => loadManifest(io.env, id)));
  if (o.write) {
    const missing = ids.filter((_, i) => !manifests[i]);
    if (missing.length > 0) throw new UsageError(`--write needs the manifest batch submit left on this machine; there is none for ${missing.join(', ')}.`, 'Run batch fetch where you ran batch submit, or drop --write.');
    const notFile = manifests.flatMap((m) => Object.values(m?.images ?? {})).find((img) => !img.file);
    if (notFile) throw new UsageError(`--write ${o.write} puts a sidecar next to each image file; ${notFile.path} is not a file.`, 'Drop --write for batches of stdin or URL inputs.');
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
        throw interrupted(io);
      });
      delay = nextPollDelay(delay, Math.max(delay, MAX_POLL_MS));
      const again = await Promise.all(waiting.map(async (b) => readBatch(await getBatch(client, b.id), client.host)));
      batches = batches.map((b) => again.find((x) => x.id === b.id) ?? b);
    }
    term.stopSpinner();

    const entries: Entry[] = [];
    for (const [i, batch] of batches.entries()) entries.push(...entriesOf(batch, manifests[i], await download(client, batch, term), settings, term));
    const totals = new Totals(entries.length, 0, entries[0]?.ctx.currency ?? settings.currency);
    const records: ImageRecord[] = [];
    let shown = 0;
    for (const e of entries) {
      const r = await finish(e, o.write, term);
      totals.add(r.record, r.spent);
      records.push(r.record);
      if (format === 'jsonl') io.stdout.write(jsonlLine(r.record));
      else if (format === 'markdown') io.stdout.write(markdownSection(r.record, mediaLink({ path: e.subject.path, source: e.file ? { kind: 'file', file: e.file } : { kind: 'memory' } }, io.cwd)));
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
    if (io.signal.aborted) throw interrupted(io);
    throw err;
  } finally {
    term.stopSpinner();
    await client.close();
  }
}

/** One image of a fetched batch: who it is, where its sidecar goes, what the batch said. */
interface Entry {
  subject: RecordSubject;
  file: string | undefined;
  outcome: Outcome;
  ctx: RecordContext;
}

/** The images of a batch in input order (the manifest's), each with its outcome; results the manifest does not know come after. */
function entriesOf(batch: BatchInfo, m: Manifest | undefined, results: Map<string, Outcome>, settings: Settings, term: Terminal): Entry[] {
  const ctx: RecordContext = { model: m?.model ?? settings.model, currency: m?.currency ?? settings.currency, maxChars: m?.max_chars };
  const entries: Entry[] = Object.entries(m?.images ?? {}).map(([id, img]: [string, ManifestImage]) => {
    const outcome = results.get(id) ?? missingOutcome(batch, id);
    results.delete(id);
    return { subject: { path: img.path, sha256: img.sha256, mime: img.mime }, file: img.file, outcome, ctx };
  });
  if (!m) term.warn(`no manifest for ${batch.id} on this machine: each record's path is its custom_id, with sha256 and mime empty (batch submit keeps the manifest where it ran).`);
  else if (results.size > 0) term.warn(`${plural(results.size, 'result')} of ${batch.id} ${results.size === 1 ? 'is' : 'are'} not in its manifest; printed with the custom_id as path.`);
  const order = (id: string) => indexOfCustomId(id) ?? Number.MAX_SAFE_INTEGER;
  const rest = [...results.entries()].sort(([a], [b]) => order(a) - order(b));
  for (const [id, outcome] of rest) entries.push({ subject: { path: id, sha256: '', mime: '' }, file: undefined, outcome, ctx });
  return entries;
}

/** The record of one image; with --write, its sidecar (a sidecar that cannot be written fails the image, as with --each). */
async function finish(e: Entry, write: SidecarExt | undefined, term: Terminal): Promise<Built> {
  let built = await buildRecord(e.subject, e.outcome, e.ctx);
  const r = built.record;
  if (!r.error && write && e.file) {
    try {
      await writeSidecar(r, e.file, write);
    } catch (err) {
      const failure = new ImageFailure(EXIT.input, 'sidecar_failed', `the sidecar ${r.path}.${write} cannot be written (${(err as Error).message}).`, 'Check that the folder is writable.');
      built = { record: failureRecord(e.subject, failure, { model: r.model, currency: e.ctx.currency, ms: 0 }), spent: built.spent, hint: failure.hint };
    }
  }
  const done = built.record;
  if (done.error) term.error(`${done.path}: ${done.error.message}`, built.hint);
  else if (!done.text.trim()) term.warn(`${done.path}: the model returned an empty answer.`);
  else if (done.finish_reason === 'length') term.warn(`${done.path}: the answer was cut off at the output token limit (finish_reason length); raise --max-tokens to get more.`);
  return built;
}

/** The output and error files of a finished batch, read into one map by custom_id. */
async function download(client: MoonshotClient, batch: BatchInfo, term: Terminal): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>();
  for (const fileId of [batch.outputFileId, batch.errorFileId]) {
    if (!fileId) continue;
    const { unreadable } = parseResultLines(await client.getText(`/files/${encodeURIComponent(fileId)}/content`), results);
    if (unreadable > 0) term.warn(`${plural(unreadable, 'line')} of ${fileId} (${batch.id}) could not be read and ${unreadable === 1 ? 'was' : 'were'} skipped.`);
  }
  return results;
}

/** Wall time of the batches, from the first created to the last completed, when the API says. */
function batchElapsed(batches: BatchInfo[]): number | undefined {
  const created = batches.map((b) => b.createdAt);
  const completed = batches.map((b) => b.completedAt);
  if (created.some((x) => x === undefined) || completed.some((x) => x === undefined)) return undefined;
  return (Math.max(...(completed as number[])) - Math.min(...(created as number[]))) * 1000;
}

/** GET /batches/{id}; a 404 says which id and why it may be missing. */
async function getBatch(client: MoonshotClient, id: string): Promise<unknown> {
  try {
    return await client.getJson(`/batches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new KvError(EXIT.rejected, `no batch ${id} at ${client.host} (${err.status}${err.type ? ` ${err.type}` : ''}: ${err.message}).`, 'Check the id batch submit printed; batches belong to the key that made them, on its platform (.cn or .ai).');
    }
    if (err instanceof ApiError) throw explainApiError(err, { model: 'the batch' });
    throw err;
  }
}

function setup(o: Common, io: Io, term: Terminal): { settings: Settings; config: Config } {
  const config = loadConfig(io.env, (line) => term.warn(line));
  return { settings: resolveSettings(o, io.env, config), config };
}

function paramOptions(o: BatchSubmitOptions, model: string) {
  return { model, maxTokens: o.maxTokens, temperature: o.temperature, thinking: o.thinking, effort: o.effort };
}

/** Streams the lines (images base64-encoded from disk) into a new file; returns its size, checked against the plan. */
async function writeJsonl(file: string, lines: BodyPlan[]): Promise<number> {
  await pipeline(async function* () {
    for (const line of lines) yield* bodyChunks(line);
  }, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  const bytes = (await stat(file)).size;
  const planned = sum(lines.map((l) => l.bytes));
  if (bytes !== planned) throw new KvError(EXIT.internal, `the batch file came out ${bytes} bytes, not the ${planned} planned.`);
  return bytes;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function interrupted(io: Io): InterruptedError {
  return new InterruptedError(io.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
}
