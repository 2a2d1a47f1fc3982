// `kimi-vision describe --each [inputs...]`: one request per image under a shared pace (-j, --rpm,
// rate limits), results in input order on stdout (text, JSONL, Markdown) and in sidecars, with a
// content-addressed cache and stable shards. Every finished result is written, whatever fails later.
import { MoonshotClient, sleep } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { explainApiError } from '../api/explain.js';
import { pickFallback, readModelList } from '../api/fallback.js';
import { DEFAULT_MAX_ATTEMPTS } from '../api/retry.js';
import { downloadUrl } from '../api/download.js';
import { loadConfig } from '../config.js';
import { checkJsonAnswer } from '../conversation/check-json.js';
import { planResponse, type ResponsePlan } from '../conversation/response.js';
import { AnswerCache, cacheDir, cacheKey, type CachedAnswer } from '../each/cache.js';
import { InOrder, jsonlLine, markdownFooter, markdownSection, relativeLink, textSection } from '../each/formats.js';
import { answerLength, eachSettings, withMaxChars, type EachSettings } from '../each/options.js';
import { answerCost, failureRecord, ImageFailure, successRecord, type ImageRecord } from '../each/record.js';
import { Pace, Stopped } from '../each/scheduler.js';
import { sendOne, type RetryInfo } from '../each/send.js';
import { inShard, shardName } from '../each/shard.js';
import { hasSidecar, writeSidecar } from '../each/sidecar.js';
import { estimateLine, sumEstimates, Totals } from '../each/totals.js';
import { ApiError, EXIT, InterruptedError, KvError, MoneyError, UsageError } from '../errors.js';
import { hasPrice, type Estimate } from '../estimate/estimate.js';
import { imageSummary, type Image } from '../inputs/image.js';
import { resolveInputs } from '../inputs/resolve.js';
import { readAll, type Io } from '../io.js';
import { formatBytes, formatInt, formatMoney, formatSeconds } from '../output/format.js';
import { Terminal } from '../output/terminal.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { defaultPrompt, describeMessages } from '../request/messages.js';
import { apiKey, resolveSettings, type Settings } from '../settings.js';
import { defaultInputs, type DescribeOptions } from './describe.js';

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
  const term = new Terminal(io, o.quiet);
  const config = loadConfig(io.env, (line) => term.warn(line));
  const s = eachSettings(o, io.env, config.format);
  const settings = resolveSettings(o, io.env, config);
  const resolved = await resolveInputs(defaultInputs(inputs, io), {
    cwd: io.cwd,
    readStdin: () => readAll(io.stdin),
    download: (url) => downloadUrl(url, io.env, io.signal),
    warn: (line) => term.warn(line),
  });
  if (resolved.length === 0) throw new UsageError('no input matched.', 'Give image files, a quoted glob, a directory, or - for stdin.');
  if (s.write && resolved.some((img) => img.source.kind !== 'file')) {
    throw new UsageError(`--write ${s.write} puts a sidecar next to each image file, and stdin (-) has none.`, 'Save the image to a file first, or drop --write.');
  }
  const shard = s.shard;
  const mine = shard ? resolved.filter((img) => inShard(shardName(img, io.cwd), shard)) : resolved;
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(mine.length)} of ${formatInt(resolved.length)} inputs`);
  const skipped: Image[] = [];
  const work: Image[] = [];
  for (const img of mine) {
    if (s.skipExisting && s.write && img.source.kind === 'file' && (await hasSidecar(img.source.file, s.write))) skipped.push(img);
    else work.push(img);
  }

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
  const plans = work.map((img) => planFor(run, img, settings.model));
  const hits = await Promise.all(work.map((img, i) => lookup(run, img, plans[i] as Plan)));
  const toSend = plans.filter((_, i) => hits[i] === undefined);
  const estimate = sumEstimates(toSend.map((p) => p.estimate), settings.currency);

  if (o.dryRun) {
    printDryRun(run, work, plans, hits, skipped, estimate);
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
  return execute(run, work, plans, hits, skipped.length, key);
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

function printDryRun(run: Run, work: Image[], plans: Plan[], hits: (CachedAnswer | undefined)[], skipped: Image[], total: Estimate): void {
  const { io, settings } = run;
  const sending = work.map((img, i) => ({ img, plan: plans[i] as Plan })).filter((_, i) => hits[i] === undefined);
  const entry = ({ img, plan }: { img: Image; plan: Plan }) => ({ ...imageSummary(img), estimate: plan.estimate });
  const cached = work.filter((_, i) => hits[i] !== undefined).map((img) => img.path);
  if (run.s.format === 'json') {
    const out = { model: settings.model, images: sending.map(entry), estimate: total, cached, skipped: skipped.map((img) => img.path) };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (run.s.format === 'jsonl') {
    for (const x of sending) io.stdout.write(`${JSON.stringify(entry(x))}\n`);
    return;
  }
  for (const { img, plan } of sending) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    io.stdout.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\t~${formatInt(plan.estimate.input_tokens)} tokens\n`);
  }
  const priced = hasPrice(settings.model, settings.currency);
  io.stdout.write(`${estimateLine(sending.length, total, settings.model, priced, { cached: cached.length, skipped: skipped.length })}\n`);
}

async function execute(run: Run, work: Image[], plans: Plan[], hits: (CachedAnswer | undefined)[], skippedCount: number, key: string): Promise<number> {
  const { o, s, io, term, settings } = run;
  const started = io.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort(io.signal.reason);
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });
  const clock = { now: io.now, sleep };
  const pace = new Pace({ concurrency: s.concurrency, rpm: s.rpm, clock, signal: stop.signal });
  const totals = new Totals(work.length, skippedCount, settings.currency);
  const records: (ImageRecord | undefined)[] = new Array(work.length);
  let printed = 0;
  const order = new InOrder<ImageRecord>(work.length, (r, i) => {
    const img = work[i] as Image;
    if (s.format === 'jsonl') term.out(jsonlLine(r));
    else if (s.format === 'markdown') term.out(markdownSection(r, img.source.kind === 'file' ? relativeLink(io.cwd, img.source.file) : undefined));
    else {
      const text = textSection(r, printed === 0);
      if (text) printed += 1;
      term.out(text);
    }
  });
  const client = new MoonshotClient({
    baseUrl: settings.baseUrl,
    apiKey: key,
    env: io.env,
    signal: stop.signal,
    maxAttempts: 1,
    ...(o.timeout !== undefined ? { timeouts: { connectMs: Math.min(o.timeout * 1000, 10_000), headersMs: o.timeout * 1000, idleMs: o.timeout * 1000 } } : {}),
    debug: io.env.KIMI_VISION_DEBUG === '1' ? (line) => term.line(term.color.dim(`debug: ${line}`)) : undefined,
    now: io.now,
  });
  let model = settings.model;
  let response = run.response;
  const fallbacks = new Map<string, Promise<string | undefined>>();

  /** Every finished image passes here once: counted, reported, written in order. */
  const finish = (i: number, r: ImageRecord, spent?: Parameters<Totals['spend']>[0], hint?: string) => {
    records[i] = r;
    totals.add(r, spent);
    if (r.error) {
      term.error(`${r.path}: ${r.error.message}`, hint);
      if (s.failFast && !stop.signal.aborted) stop.abort('fail-fast');
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
    const problem = await checkAnswer(run, response, answer);
    if (problem) return finish(i, failureRecord(img, problem, { model: answer.model ?? plan.model, currency: settings.currency, ms }), spent, problem.hint);
    let r = successRecord(img, answer, { model: plan.model, currency: settings.currency, ms, cached });
    if (run.cache && !cached) {
      await run.cache.put(keyOf(run, img, plan), { model: r.model, text: r.text, finish_reason: r.finish_reason ?? 'stop', usage: r.usage }).catch((err: Error) => {
        warnOnce('cache', `the cache in ${run.cache?.dir} cannot be written (${err.message}); answers are not kept.`);
      });
    }
    if (s.write && img.source.kind === 'file') {
      try {
        await writeSidecar(r, img.source.file, s.write);
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

  /** When the key cannot use the default model (404): the same fallback as describe, once per run. */
  const fallbackFor = (err: unknown, failed: string): Promise<string | undefined> => {
    if (!(err instanceof ApiError) || err.status !== 404 || settings.modelChosen) return Promise.resolve(undefined);
    let p = fallbacks.get(failed);
    if (!p) {
      p = (async () => {
        const next = pickFallback(readModelList(await client.getJson('/models').catch(() => undefined)), failed);
        if (!next) return undefined;
        const nextResponse = await planResponse(o, next, io.cwd);
        const left = work.filter((_, i) => records[i] === undefined && hits[i] === undefined);
        const estimate = sumEstimates(left.map((img) => planFor(run, img, next, nextResponse).estimate), settings.currency);
        if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
          term.warn(`${failed} is not available to this key (404), and ${next} would cost an estimated ${formatMoney(estimate.cost)}, above --max-cost; not falling back.`);
          return undefined;
        }
        term.warn(`${failed} is not available to this key (404); using ${next} instead (est. ${formatMoney(estimate.cost)} input). Choose one with -m.`);
        model = next;
        response = nextResponse;
        return next;
      })();
      fallbacks.set(failed, p);
    }
    return p;
  };

  const describeOne = async (i: number): Promise<void> => {
    const img = work[i] as Image;
    const t0 = io.now();
    let plan = plans[i] as Plan;
    try {
      for (;;) {
        if (plan.model !== model) {
          plan = planFor(run, img, model, response);
          const hit = await lookup(run, img, plan);
          if (hit) return await succeed(i, img, plan, cachedCompletion(hit), 0, true);
        }
        try {
          const sent = await sendOne(plan.body, i, { client, pace, clock, signal: stop.signal, stream: o.stream, maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, onRetry: onRetry(img) });
          return await succeed(i, img, plan, sent.completion, io.now() - t0, false);
        } catch (err) {
          if (stop.signal.aborted) throw err;
          if (!(await fallbackFor(err, plan.model))) throw err;
        }
      }
    } catch (err) {
      if (stop.signal.aborted || err instanceof Stopped) return; // stopped: no record, nothing half-written
      const e = err instanceof ApiError ? explainApiError(err, { model: plan.model }) : err;
      finish(i, failureRecord(img, e, { model: plan.model, currency: settings.currency, ms: io.now() - t0 }), undefined, e instanceof KvError ? e.hint : undefined);
    }
  };

  await term.startSpinner(totals.progress());
  try {
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < work.length; i++) {
      const hit = hits[i];
      if (hit) await succeed(i, work[i] as Image, plans[i] as Plan, cachedCompletion(hit), 0, true);
      else tasks.push(describeOne(i));
    }
    await Promise.all(tasks);
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    term.stopSpinner();
    await client.close();
  }
  order.drain();
  if (s.format === 'markdown') term.out(markdownFooter(totals.summary(io.now() - started)));
  term.note(totals.summary(io.now() - started));
  if (io.signal.aborted) throw new InterruptedError(io.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  const firstFailure = records.find((r) => r?.error);
  return firstFailure?.error?.code ?? EXIT.ok;
}

function cachedCompletion(hit: CachedAnswer): Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'> {
  return { model: hit.model, text: hit.text, finishReason: hit.finish_reason, usage: hit.usage };
}

/** Why a finished answer still fails its image: the content filter, --max-chars, or JSON that is not. */
async function checkAnswer(run: Run, response: ResponsePlan, c: Pick<Completion, 'text' | 'finishReason'>): Promise<ImageFailure | undefined> {
  if (c.finishReason === 'content_filter') {
    return new ImageFailure(EXIT.rejected, 'content_filter', "the answer was stopped by Moonshot's content filter (finish_reason content_filter).", 'Change the prompt or the image.');
  }
  const max = run.s.maxChars;
  if (max !== undefined && answerLength(c.text) > max) {
    return new ImageFailure(EXIT.rejected, 'too_long', `the answer has ${formatInt(answerLength(c.text))} characters, over --max-chars ${formatInt(max)}.`, 'Raise --max-chars, or ask for less in the prompt; a rerun sends it again.');
  }
  if (response.json && c.finishReason !== 'tool_calls') {
    const check = await checkJsonAnswer(c.text, response.schema);
    if (!check.ok) return new ImageFailure(EXIT.rejected, 'invalid_json', `the answer is not the JSON asked for: ${check.problem}.`, 'Describe the shape in the prompt, or raise --max-tokens if it was cut off.');
  }
  return undefined;
}
