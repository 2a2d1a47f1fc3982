// `kimi-vision batch submit [inputs...]`: describe --each on Moonshot's Batch API. One request per
// image (as --each sends it, but whole: a batch does not stream) into JSONL files of at most 100 MB,
// streamed from disk; each file uploaded with purpose batch and made a batch; the ids on stdout.
// The JSONL files live in a private folder of TMPDIR, written atomically (writeStreamAtomic), and
// go with their folder however the run ends (a signal, a full disk, an upload refused).
import { openAsBlob, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BATCH_ENDPOINT, MAX_BATCH_FILE_BYTES, batchLine, customId, splitBySize } from '../../batch/lines.js';
import { manifestImage, saveManifest } from '../../batch/manifest.js';
import { readBatch } from '../../batch/status.js';
import { terminalClient } from '../../client/terminal-client.js';
import { commandSettings } from '../../config.js';
import { EXIT, KvError, MoneyError, StoreError, UsageError, interruptedBy } from '../../errors.js';
import { hasPrice, sumEstimates } from '../../estimate/estimate.js';
import { formatBytes, formatInt, formatMoney, plural } from '../../format.js';
import { imageSummary } from '../../inputs/image.js';
import { withPromptFile } from '../../inputs/prompt-file.js';
import type { ResizeOptions } from '../../inputs/resize-plan.js';
import { inShard, parseShard, shardName } from '../../inputs/shard.js';
import type { Io } from '../../io.js';
import { Terminal } from '../../output/terminal.js';
import { commandInputs } from '../../plan/inputs.js';
import { makePlan, overContext, type Plan } from '../../plan/plan.js';
import { bodyChunks, checkBodySize, type BodyPlan } from '../../request/body.js';
import { defaultPrompt, describeMessages, withMaxChars } from '../../request/messages.js';
import { looksLikeSidecar } from '../../results/sidecar.js';
import { estimateLine } from '../../output/estimate-line.js';
import { apiKey } from '../../settings.js';
import { writeStreamAtomic } from '../../store/atomic.js';
import { onAbruptExit } from '../../store/pending.js';
import { errnoWords, storeError } from '../../store/store-error.js';

export interface BatchSubmitOptions extends ResizeOptions {
  baseUrl?: string;
  insecureHttp?: boolean;
  quiet?: boolean;
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

const MB = 1024 * 1024;

export async function batchSubmit(inputs: string[], o: BatchSubmitOptions, io: Io): Promise<number> {
  o = await withPromptFile(o, io.cwd);
  if (o.format === 'json' && !o.dryRun) throw new UsageError('--format json is for --dry-run; batch submit prints the batch ids, one per line.');
  if (o.maxFileSize !== undefined && o.maxFileSize * MB > MAX_BATCH_FILE_BYTES) {
    throw new UsageError(`--max-file-size ${o.maxFileSize} is above the 100 MB a batch input file may have.`, 'Give at most 100; the default is 100.');
  }
  const term = await Terminal.open(io, o.quiet);
  const { config, settings } = commandSettings(o, io.env, (line) => term.warn(line));
  const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
  const { images: resolved, resizer } = await commandInputs(inputs, o, io, term, { expected: looksLikeSidecar });
  const mine = shard ? resolved.filter((img) => inShard(shardName(img, io.cwd), shard)) : resolved;
  const images = resizer ? await resizer.resize(mine, term) : mine;
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(images.length)} of ${formatInt(resolved.length)} inputs`);
  if (images.length === 0)
    throw new UsageError(`shard ${shard?.index}/${shard?.count} has none of the ${resolved.length} inputs.`, 'Each image is in exactly one shard; this job has nothing to submit.');

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
  const estimate = sumEstimates(
    plans.map((p) => p.estimate),
    settings.currency,
  );
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
    io.stdout.write(`${estimateLine(estimate, { images: images.length, model: settings.model, priced, perImage: { cached: 0, skipped: 0 } })}\n`);
    return EXIT.ok;
  }

  const key = apiKey(io.env, config);
  term.note(
    `${estimateLine(estimate, { images: images.length, model: settings.model, priced, perImage: { cached: 0, skipped: 0 } })} · ${groups.length === 1 ? '1 batch' : `${formatInt(groups.length)} batches`}`,
  );
  if (over > 0)
    term.warn(`${plural(over, 'request')} ${over === 1 ? 'is' : 'are'} estimated over ${settings.model}'s context; the API will likely refuse ${over === 1 ? 'it' : 'them'}.`);
  if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(estimate.cost)} of ${plural(images.length, 'image')} is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer images (--shard splits a folder), or pick a cheaper model.',
    );
  }

  const client = terminalClient(settings.baseUrl, key, io, term);
  const largest = Math.max(...groups.map((g) => sum(g.map((r) => r.bytes))));
  const tmp = await batchFolder(largest);
  const forgetTmp = onAbruptExit(() => rmSync(tmp, { recursive: true, force: true }));
  let submitted = 0;
  try {
    for (const [i, group] of groups.entries()) {
      if (io.signal.aborted) throw interruptedBy(io.signal);
      const part = `${i + 1}/${groups.length}`;
      const file = path.join(tmp, `kimi-vision-batch-${i + 1}.jsonl`);
      const bytes = await writeJsonl(
        file,
        group.map((r) => r.line),
        largest,
      );
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
    if (submitted > 0)
      term.warn(
        `${submitted} of ${groups.length} batches were submitted before this (their ids are on stdout; batch fetch gets their results); the images of the others were not.`,
      );
    if (io.signal.aborted) throw interruptedBy(io.signal);
    throw err;
  } finally {
    term.stopSpinner();
    await rm(tmp, { recursive: true, force: true });
    forgetTmp();
    await client.close();
  }
}

function paramOptions(o: BatchSubmitOptions, model: string) {
  return { model, maxTokens: o.maxTokens, temperature: o.temperature, thinking: o.thinking, effort: o.effort };
}

/** A private folder of TMPDIR for the batch files; a missing or unwritable TMPDIR says so. */
async function batchFolder(largest: number): Promise<string> {
  const base = tmpdir();
  try {
    return await mkdtemp(path.join(base, 'kimi-vision-batch-'));
  } catch (err) {
    throw tempFailure(storeError(err, base), base, largest);
  }
}

/** Streams the lines (images base64-encoded from disk) into a new file; returns its size, checked against the plan. */
async function writeJsonl(file: string, lines: BodyPlan[], largest: number): Promise<number> {
  let bytes: number;
  try {
    bytes = await writeStreamAtomic(
      file,
      (async function* () {
        for (const line of lines) yield* bodyChunks(line);
      })(),
      { mode: 0o600 },
    );
  } catch (err) {
    // (an image that cannot be read is its own error, passed on as it is)
    throw err instanceof StoreError ? tempFailure(err, path.dirname(path.dirname(file)), largest) : err;
  }
  const planned = sum(lines.map((l) => l.bytes));
  if (bytes !== planned) throw new KvError(EXIT.internal, `the batch file came out ${bytes} bytes, not the ${planned} planned.`);
  return bytes;
}

/** A failure of the temporary folder, said as one: TMPDIR is what to change. Exit 74. */
function tempFailure(err: StoreError, base: string, largest: number): StoreError {
  const what = err.code === 'ENOENT' ? 'the folder does not exist' : errnoWords(err.code);
  return new StoreError(
    err.code,
    err.path,
    `cannot write the batch file to the temporary folder ${base}: ${what} (${err.code}); nothing was submitted from this file.`,
    `Point TMPDIR at a folder that exists, that you may write to and that has room for ${formatBytes(largest)}.`,
  );
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
