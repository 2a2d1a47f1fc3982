// `kimi-vision describe [inputs...]`: images -> one request -> the answer streamed to stdout.
import { ApiError, KvError, EXIT, InterruptedError, MoneyError, UsageError } from '../errors.js';
import { explainApiError } from '../api/explain.js';
import { MoonshotClient } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { pickFallback, readModelList } from '../api/fallback.js';
import { hasPrice, usageCost, type Cost } from '../estimate/estimate.js';
import { imageSummary, type Image } from '../inputs/image.js';
import { resolveInputs } from '../inputs/resolve.js';
import { readAll, type Io } from '../io.js';
import { findModel } from '../models.js';
import { formatBytes, formatInt, formatMoney, formatSeconds, plural } from '../output/format.js';
import { Terminal } from '../output/terminal.js';
import { makePlan, overContext, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { defaultPrompt, describeMessages } from '../request/messages.js';
import { apiKey, resolveSettings, type Settings } from '../settings.js';

export interface DescribeOptions {
  prompt?: string;
  system?: string;
  model?: string;
  baseUrl?: string;
  maxTokens?: number;
  temperature?: number;
  stream: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  format: 'text' | 'json';
  maxCost?: number;
  timeout?: number;
  maxAttempts?: number;
  thinking?: 'on' | 'off';
  effort?: string;
  insecureHttp?: boolean;
}

export async function describeCommand(inputs: string[], o: DescribeOptions, io: Io): Promise<number> {
  const term = new Terminal(io, o.quiet);
  const settings = resolveSettings(o, io.env);
  const images = await resolveInputs(defaultInputs(inputs, io), {
    cwd: io.cwd,
    readStdin: () => readAll(io.stdin),
    warn: (line) => term.warn(line),
  });
  if (images.length === 0) throw new UsageError('no input matched.', 'Give image files, a quoted glob, a directory, or - for stdin.');
  const prompt = o.prompt ?? defaultPrompt(images.length);
  const planFor = (model: string): Plan => {
    const plan = makePlan(images, describeMessages(images, prompt, o.system), { ...o, model }, settings.currency);
    checkBodySize(plan.body);
    return plan;
  };
  let plan = planFor(settings.model);

  if (o.dryRun) {
    printDryRun(plan, images, o.format, io);
    return EXIT.ok;
  }
  const key = apiKey(io.env);
  announce(plan, images, o, term);

  const started = io.now();
  const client = new MoonshotClient({
    baseUrl: settings.baseUrl,
    apiKey: key,
    env: io.env,
    signal: io.signal,
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    ...(o.timeout !== undefined ? { timeouts: { connectMs: Math.min(o.timeout * 1000, 10_000), headersMs: o.timeout * 1000, idleMs: o.timeout * 1000 } } : {}),
    debug: io.env.KIMI_VISION_DEBUG === '1' ? (line) => term.line(term.color.dim(`debug: ${line}`)) : undefined,
    onRetry: ({ attempt, delayMs, error }) => term.warn(`attempt ${attempt} failed (${error.message}); retrying in ${formatSeconds(delayMs)}…`),
    now: io.now,
  });
  try {
    let completion: Completion;
    try {
      completion = await send(client, plan, o, io, term);
    } catch (err) {
      const fallback = await fallbackModel(err, client, plan, settings);
      if (!fallback) throw err;
      term.warn(`${plan.model} is not available to this key (404); using ${fallback} instead. Choose one with -m.`);
      plan = planFor(fallback);
      announce(plan, images, o, term);
      completion = await send(client, plan, o, io, term);
    }
    return finish(completion, plan, images, settings, o, io, term, io.now() - started);
  } catch (err) {
    if (io.signal.aborted) throw new InterruptedError(io.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    if (err instanceof ApiError) throw explainApiError(err, { model: plan.model, attempts: client.attempts });
    throw err;
  } finally {
    term.stopSpinner();
    await client.close();
  }
}

/** No inputs and stdin not a terminal: read the image from stdin. */
function defaultInputs(inputs: string[], io: Io): string[] {
  if (inputs.length > 0) return inputs;
  if (io.stdin.isTTY) throw new UsageError('no input given.', 'Give image files, a quoted glob, a directory, or pipe an image in (… | kimi-vision describe).');
  return ['-'];
}

function printDryRun(plan: Plan, images: readonly Image[], format: DescribeOptions['format'], io: Io): void {
  if (format === 'json') {
    const out = { model: plan.model, images: images.map(imageSummary), estimate: plan.estimate, request_bytes: plan.body.bytes };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  for (const img of images) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    io.stdout.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\n`);
  }
  io.stdout.write(`${estimateLine(plan, images)}; request ${formatBytes(plan.body.bytes)}\n`);
}

function estimateLine(plan: Plan, images: readonly Image[]): string {
  const e = plan.estimate;
  const price = hasPrice(plan.model, e.cost.currency) ? `est. ${formatMoney(e.cost)} input` : 'price unknown';
  return `${plural(images.length, 'image')} · ~${formatInt(e.input_tokens)} input tokens (${formatInt(e.image_tokens)} image + ${formatInt(e.text_tokens)} text) · ${plan.model} · ${price}`;
}

/** The estimate line, the context warning and the --max-cost check: all before anything is sent. */
function announce(plan: Plan, images: readonly Image[], o: DescribeOptions, term: Terminal): void {
  term.note(estimateLine(plan, images));
  const context = overContext(plan, o.maxTokens);
  if (context !== undefined) {
    term.warn(`the estimate (${formatInt(plan.estimate.input_tokens)} input tokens${o.maxTokens ? ` + ${formatInt(o.maxTokens)} output` : ''}) is over ${plan.model}'s context of ${formatInt(context)} tokens; the API will likely refuse it.`);
  }
  if (o.maxCost !== undefined && plan.estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(plan.estimate.cost)} is above --max-cost ${formatMoney({ amount: o.maxCost, currency: plan.estimate.cost.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer or smaller images, or pick a cheaper model.',
    );
  }
}

async function send(client: MoonshotClient, plan: Plan, o: DescribeOptions, io: Io, term: Terminal): Promise<Completion> {
  const streamText = o.format === 'text';
  let printed = false;
  await term.startSpinner(`Sending ${plural(countMedia(plan), 'image')} (${formatBytes(plan.body.bytes)}) to ${plan.model}…`);
  return client.chat(plan.body, o.stream, {
    onResponse: () => term.setSpinnerText(`Waiting for ${plan.model}…`),
    onDelta: (d) => {
      if (d.reasoning && !printed) term.setSpinnerText(`${plan.model} is thinking…`);
      if (!d.text) return;
      if (!printed) term.stopSpinner();
      printed = true;
      if (streamText) io.stdout.write(d.text);
    },
  });
}

function countMedia(plan: Plan): number {
  return plan.body.segments.filter((s) => !Buffer.isBuffer(s)).length;
}

async function fallbackModel(err: unknown, client: MoonshotClient, plan: Plan, settings: Settings): Promise<string | undefined> {
  if (!(err instanceof ApiError) || err.status !== 404 || settings.modelChosen) return undefined;
  const listed = readModelList(await client.getJson('/models').catch(() => undefined));
  return pickFallback(listed, plan.model);
}

function finish(
  c: Completion,
  plan: Plan,
  images: readonly Image[],
  settings: Settings,
  o: DescribeOptions,
  io: Io,
  term: Terminal,
  elapsedMs: number,
): number {
  const model = c.model ?? plan.model;
  const cost: Cost = c.usage ? usageCost(findModel(model) ? model : plan.model, c.usage, settings.currency) : { amount: 0, currency: settings.currency };
  if (o.format === 'json') {
    const out = {
      model,
      text: c.text,
      finish_reason: c.finishReason ?? 'stop',
      usage: c.usage
        ? { prompt_tokens: c.usage.prompt_tokens, completion_tokens: c.usage.completion_tokens, total_tokens: c.usage.total_tokens }
        : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      cost,
      images: images.map(imageSummary),
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (c.text && !c.text.endsWith('\n')) {
    io.stdout.write('\n');
  }
  if (!c.text && c.finishReason !== 'tool_calls') term.warn('the model returned an empty answer.');
  const usage = c.usage
    ? `${formatInt(c.usage.prompt_tokens)} prompt + ${formatInt(c.usage.completion_tokens)} completion tokens · ${hasPrice(model, cost.currency) ? formatMoney(cost) : 'price unknown'}`
    : 'usage not reported';
  term.note(term.color.dim(`${usage} · ${formatSeconds(elapsedMs)}`));
  if (c.finishReason === 'length') {
    term.warn(`the answer was cut off at the output token limit (finish_reason length). Raise --max-tokens${o.maxTokens ? ` (now ${o.maxTokens})` : ''} to get more.`);
  } else if (c.finishReason === 'content_filter') {
    throw new KvError(EXIT.rejected, "the answer was stopped by Moonshot's content filter (finish_reason content_filter).", 'Change the prompt or the images.');
  } else if (c.finishReason && c.finishReason !== 'stop' && c.finishReason !== 'tool_calls') {
    term.warn(`the answer ended unusually (finish_reason ${c.finishReason}).`);
  }
  return EXIT.ok;
}
