// `kimi-vision describe --each [inputs...]`: one request per image under a shared pace (-j, --rpm,
// rate limits), results in input order on stdout (text, JSONL, Markdown) and in sidecars, with a
// content-addressed cache and stable shards. Every finished result is written, whatever fails later.
import { commandInputs } from './inputs.js';
import { sleep } from '../api/client.js';
import { terminalClient } from './client.js';
import type { Completion } from '../api/completion.js';
import { explainApiError } from '../api/explain.js';
import { manyRequestsAhead } from '../api/http.js';
import { pickFallback, readModelList } from '../api/fallback.js';
import { DEFAULT_MAX_ATTEMPTS } from '../api/retry.js';
import { loadConfig } from '../config.js';
import { planResponse, type ResponsePlan } from '../conversation/response.js';
import { AnswerCache, cacheDir, cacheKey, type CachedAnswer } from '../each/cache.js';
import { InOrder, jsonlLine, markdownFooter, markdownSection, mediaLink, textSection } from '../each/formats.js';
import { checkAnswer } from '../each/check.js';
import { printDryRun } from '../each/dry-run.js';
import { eachSettings, withMaxChars, type EachSettings } from '../each/options.js';
import { answerCost, failureRecord, ImageFailure, successRecord, type ImageRecord } from '../each/record.js';
import { Pace, Stopped } from '../each/scheduler.js';
import { sendOne, type RetryInfo } from '../each/send.js';
import { inShard, shardName } from '../each/shard.js';
import { hasSidecar, looksLikeSidecar, writeSidecar } from '../each/sidecar.js';
import { estimateLine, sumEstimates, Totals } from '../each/totals.js';
import { ApiError, EXIT, InterruptedError, KvError, MoneyError, UsageError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { imageFile, type Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import { formatInt, formatMoney, formatSeconds } from '../output/format.js';
import { Terminal } from '../output/terminal.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { defaultPrompt, describeMessages } from '../request/messages.js';
import { apiKey, resolveSettings, type Settings } from '../settings.js';
import type { DescribeOptions } from './describe.js';

/** What every image of the run shares. */
interface Run {
  o: DescribeOptions;
  s: EachSettings;
  io: Io;
  term: Terminal;
  settings: Settings;
  prompt: string;
  response: ResponsePlan;
  cache: AnswerCache | undefined;
}

export async function eachCommand(inputs: string[], o: DescribeOptions, io: Io): Promise<number> {
  if (!o.dryRun) manyRequestsAhead();
  const term = await Terminal.open(io, o.quiet);
  const config = loadConfig(io.env, (line) => term.warn(line));
  const s = eachSettings(o, io.env, config.format);
  const settings = resolveSettings(o, io.env, config);
  const { images: resolved, resizer } = await commandInputs(inputs, o, io, term, { expected: looksLikeSidecar });
  if (s.write && resolved.some((img) => img.source.kind !== 'file')) {
    throw new UsageError(`--write ${s.write} puts a sidecar next to each image file; stdin (-) and URLs are not files.`, 'Save the image to a file first, or drop --write.');
  }
  const shard = s.shard;
  const mine = shard ? resolved.filter((img) => inShard(shardName(img, io.cwd), shard)) : resolved;
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(mine.length)} of ${formatInt(resolved.length)} inputs`);
  const write = s.skipExisting ? s.write : undefined;
  const has = await mapFew(mine, (img) => (write && img.source.kind === 'file' ? hasSidecar(img.source.file, write) : Promise.resolve(false)));
  const skipped = mine.filter((_, i) => has[i]);
  const work = mine.filter((_, i) => !has[i]);
  await resizer?.resize(work, term); // after shards and --skip-existing: only what is sent is resized

  const response = await planResponse(o, settings.model, io.cwd);
  const run: Run = {
    o,
    s,
    io,
    term,
    settings,
    prompt: withMaxChars(o.prompt ?? config.prompt ?? defaultPrompt(1), s.maxChars) + response.promptSuffix,
    response,
    cache: s.cache ? new AnswerCache(cacheDir(io.env)) : undefined,
  };
  // Each image is planned to estimate it and to look it up in the cache, then the plan is dropped:
  // it is planned again when its turn to be sent comes, so thousands of waiting images hold no plan.
  const estimates = new Array<Plan['estimate']>(work.length);
  const hits = await mapFew(work, (img, i) => {
    const plan = planFor(run, img, settings.model);
    estimates[i] = plan.estimate;
    return lookup(run, img, plan);
  });
  const toSend = estimates.filter((_, i) => hits[i] === undefined);
  const estimate = sumEstimates(toSend, settings.currency);

  if (o.dryRun) {
    const sending = work.filter((_, i) => hits[i] === undefined).map((img) => ({ img, plan: planFor(run, img, settings.model) }));
    const cachedPaths = work.filter((_, i) => hits[i] !== undefined).map((img) => img.path);
    printDryRun({ format: s.format, model: settings.model, currency: settings.currency, sending, total: estimate, cached: cachedPaths, skipped: skipped.map((img) => img.path) }, io);
    return EXIT.ok;
  }
  const key = toSend.length > 0 ? apiKey(io.env, config) : '';
  term.note(estimateLine(toSend.length, estimate, settings.model, hasPrice(settings.model, settings.currency), { cached: work.length - toSend.length, skipped: skipped.length }));
  if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(estimate.cost)} of ${toSend.length} images is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer images (--shard splits a folder), or pick a cheaper model.',
    );
  }
  return execute(run, work, hits, skipped.length, key);
}

/** Maps with at most 32 calls pending: thousands of files must not exhaust the open-file limit (a failed read would be a cache miss, and a paid request). */
async function mapFew<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, items.length) }, worker));
  return out;
}

/** The request for one image under a model: ONE user message with the image and the shared prompt. */
function planFor(run: Run, img: Image, model: string, response = run.response): Plan {
  const messages = describeMessages([img], run.prompt, run.o.system);
  if (response.prefill) messages.push(response.prefill);
  const plan = makePlan([img], messages, { ...run.o, model, extra: response.extra }, run.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

function keyOf(run: Run, img: Image, plan: Plan): string {
  const prefill = run.response.prefill ? String(run.response.prefill.content) : undefined;
  return cacheKey({ sha256: img.sha256, model: plan.model, system: run.o.system, prompt: run.prompt, prefill, params: plan.params });
}

async function lookup(run: Run, img: Image, plan: Plan): Promise<CachedAnswer | undefined> {
  return run.cache?.get(keyOf(run, img, plan));
}

async function execute(run: Run, work: Image[], hits: (CachedAnswer | undefined)[], skippedCount: number, key: string): Promise<number> {
  const { o, s, io, term, settings } = run;
  const started = io.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort(io.signal.reason);
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });
  const clock = { now: io.now, sleep };
  const pace = new Pace({ concurrency: s.concurrency, rpm: s.rpm, clock, signal: stop.signal });
  const totals = new Totals(work.length, skippedCount, settings.currency);
  // Only what the end needs is kept of each finished image (its exit code): a run of thousands of
  // images must not hold every answer in memory.
  const finished = new Uint8Array(work.length);
  let firstFailure: { index: number; code: number } | undefined;
  let printed = 0;
  const order = new InOrder<ImageRecord>(work.length, (r, i) => {
    const img = work[i] as Image;
    if (s.format === 'jsonl') term.out(jsonlLine(r));
    else if (s.format === 'markdown') term.out(markdownSection(r, mediaLink(img, io.cwd)));
    else {
      const text = textSection(r, printed === 0);
      if (text) printed += 1;
      term.out(text);
    }
  });
  // Retries are decided per image by the pace (send.ts), so the client makes one attempt.
  const client = terminalClient(settings.baseUrl, key, io, term, { timeout: o.timeout, maxAttempts: 1, signal: stop.signal });
  let model = settings.model;
  let response = run.response;
  const fallbacks = new Map<string, Promise<string | undefined>>();

  /** Every finished image passes here once: counted, reported, written in order. */
  const finish = (i: number, r: ImageRecord, spent?: Parameters<Totals['spend']>[0], hint?: string) => {
    finished[i] = 1;
    hits[i] = undefined;
    if (r.error && (!firstFailure || i < firstFailure.index)) firstFailure = { index: i, code: r.error.code };
    totals.add(r, spent);
    if (r.error) {
      term.error(`${r.path}: ${r.error.message}`, hint);
      if (s.failFast) stopRun('--fail-fast');
    }
    term.setSpinnerText(totals.progress());
    order.put(i, r);
  };

  /** A good answer: checked (filter, --max-chars, JSON), cached, sidecar written, then recorded. */
  const succeed = async (i: number, img: Image, plan: Plan, c: Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'>, ms: number, cached: boolean) => {
    const text = (response.prefill && !cached ? String(response.prefill.content) : '') + c.text;
    const answer = { ...c, text };
    const cost = cached ? 0 : answerCost(c, plan.model, settings.currency).amount;
    const spent = cached ? undefined : { prompt_tokens: c.usage?.prompt_tokens ?? 0, completion_tokens: c.usage?.completion_tokens ?? 0, cost, priced: hasPrice(c.model ?? plan.model, settings.currency) || hasPrice(plan.model, settings.currency) };
    const problem = await checkAnswer(answer, s.maxChars, response);
    if (problem) return finish(i, failureRecord(img, problem, { model: answer.model ?? plan.model, currency: settings.currency, ms }), spent, problem.hint);
    let r = successRecord(img, answer, { model: plan.model, currency: settings.currency, ms, cached });
    if (run.cache && !cached) {
      await run.cache.put(keyOf(run, img, plan), { model: r.model, text: r.text, finish_reason: r.finish_reason ?? 'stop', usage: r.usage }).catch((err: Error) => {
        warnOnce('cache', `the cache in ${run.cache?.dir} cannot be written (${err.message}); answers are not kept.`);
      });
    }
    const file = imageFile(img); // a resized image's sidecar goes next to its original
    if (s.write && file) {
      try {
        await writeSidecar(r, file, s.write);
      } catch (err) {
        const e = new ImageFailure(EXIT.input, 'sidecar_failed', `the sidecar ${img.path}.${s.write} cannot be written (${(err as Error).message}).`, 'Check that the folder is writable.');
        r = failureRecord(img, e, { model: r.model, currency: settings.currency, ms });
        return finish(i, r, spent, e.hint);
      }
    }
    if (!cached && !r.text.trim()) term.warn(`${img.path}: the model returned an empty answer.`);
    if (r.finish_reason === 'length') term.warn(`${img.path}: the answer was cut off at the output token limit (finish_reason length); raise --max-tokens to get more.`);
    finish(i, r, spent);
  };

  const warned = new Set<string>();
  const warnOnce = (what: string, line: string) => {
    if (warned.has(what)) return;
    warned.add(what);
    term.warn(line);
  };

  const onRetry = (img: Image) => (x: RetryInfo) => {
    if (x.shared) {
      if (x.paused) term.warn(`rate limited (${x.error.message}); every request waits ${formatSeconds(x.delayMs)}, concurrency now ${x.limit}.`);
    } else {
      term.warn(`${img.path}: attempt ${x.attempt} failed (${x.error.message}); retrying in ${formatSeconds(x.delayMs)}…`);
    }
  };

  /** A 404 for the default model: the run may switch to another model (as describe does). */
  const mayFallBack = (err: unknown) => err instanceof ApiError && err.status === 404 && !settings.modelChosen;
  /** Answers found in the cache for the model switched to, by image index. */
  const lateHits = new Map<number, CachedAnswer>();

  /** Looks up the fallback once per failed model; the caller holds the pace until it settles. */
  const fallbackFor = (failed: string): Promise<string | undefined> => {
    let p = fallbacks.get(failed);
    if (!p) {
      p = (async () => {
        const next = pickFallback(readModelList(await client.getJson('/models').catch(() => undefined)), failed);
        if (!next) return undefined;
        const nextResponse = await planResponse(o, next, io.cwd);
        const left = work.map((img, i) => ({ img, i })).filter(({ i }) => finished[i] === 0 && hits[i] === undefined);
        const nextPlans = left.map(({ img }) => planFor(run, img, next, nextResponse));
        const cachedNow = await mapFew(left, ({ img }, k) => lookup(run, img, nextPlans[k] as Plan));
        const estimate = sumEstimates(nextPlans.filter((_, k) => cachedNow[k] === undefined).map((p) => p.estimate), settings.currency);
        if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
          term.warn(`${failed} is not available to this key (404), and ${next} would cost an estimated ${formatMoney(estimate.cost)}, above --max-cost; not falling back.`);
          return undefined;
        }
        term.warn(`${failed} is not available to this key (404); using ${next} instead (est. ${formatMoney(estimate.cost)} input). Choose one with -m.`);
        left.forEach(({ i }, k) => cachedNow[k] && lateHits.set(i, cachedNow[k]));
        model = next;
        response = nextResponse;
        return next;
      })();
      fallbacks.set(failed, p);
    }
    return p;
  };

  /** Failures that would be the same for every image (the key, the account, the model): stop the run. */
  const stopsTheRun = (err: unknown) =>
    err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404 || err.type === 'exceeded_current_quota_error');
  let stoppedBy: string | undefined;
  const stopRun = (why: string) => {
    if (stop.signal.aborted) return;
    stoppedBy = why;
    stop.abort(why);
  };

  const describeOne = async (i: number): Promise<void> => {
    const img = work[i] as Image;
    // Planned when its turn comes (not kept from the estimate): thousands of waiting images hold no plan.
    let planned: Plan | undefined;
    const plan = (): Plan => (planned?.model === model ? planned : (planned = planFor(run, img, model, response)));
    /** The request body for the model of the moment; none when the cache has the answer for it. */
    const body = () => {
      const p = plan();
      return lateHits.has(i) ? undefined : p.body;
    };
    const onFailure = (err: unknown, final: boolean) => {
      if (!final) return;
      if (mayFallBack(err)) pace.hold(fallbackFor(plan().model));
      else if (s.failFast) stopRun('--fail-fast');
      else if (stopsTheRun(err)) stopRun('this failure applies to every image');
    };
    const ctx = { client, pace, clock, signal: stop.signal, stream: o.stream, maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, onRetry: onRetry(img), onFailure };
    for (;;) {
      let sent;
      try {
        sent = await sendOne(body, i, ctx);
      } catch (err) {
        if (stop.signal.aborted || err instanceof Stopped) return; // stopped: no record, nothing half-written
        throw err;
      }
      const late = lateHits.get(i);
      if (!sent) return late ? succeed(i, img, plan(), cachedCompletion(late), 0, true) : undefined;
      try {
        if (sent.ok) return await succeed(i, img, plan(), sent.completion, io.now() - sent.startedAt, false);
        if (mayFallBack(sent.error) && (await fallbackFor(plan().model))) continue;
        if (mayFallBack(sent.error)) stopRun('this failure applies to every image');
        const e = sent.error instanceof ApiError ? explainApiError(sent.error, { model: plan().model, attempts: sent.attempts }) : sent.error;
        return finish(i, failureRecord(img, e, { model: plan().model, currency: settings.currency, ms: io.now() - sent.startedAt }), undefined, e instanceof KvError ? e.hint : undefined);
      } finally {
        sent.slot.release();
      }
    }
  };

  await term.startProgress(totals.progress());
  try {
    // A bounded pool takes the images in input order: enough workers to keep every slot the pace
    // allows busy (images waiting to be retried give theirs back), never one task per image.
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const i = next++;
        const hit = hits[i];
        if (hit) await succeed(i, work[i] as Image, planFor(run, work[i] as Image, settings.model), cachedCompletion(hit), 0, true);
        else await describeOne(i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(work.length, Math.max(16, 4 * s.concurrency)) }, worker));
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    term.stopSpinner();
    await client.close();
  }
  order.drain();
  if (stoppedBy && totals.done < work.length) term.warn(`stopped (${stoppedBy}): ${work.length - totals.done} of ${work.length} images not described.`);
  if (s.format === 'markdown') term.out(markdownFooter(totals.summary(io.now() - started)));
  term.note(totals.summary(io.now() - started));
  if (io.signal.aborted) throw new InterruptedError(io.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  return firstFailure?.code ?? EXIT.ok;
}

function cachedCompletion(hit: CachedAnswer): Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'> {
  return { model: hit.model, text: hit.text, finishReason: hit.finish_reason, usage: hit.usage };
}
