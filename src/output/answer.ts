// What describe prints when it is done: the answer (or tool calls, or JSON), then the usage line.
import type { Completion } from '../api/completion.js';
import { EXIT, KvError } from '../errors.js';
import { hasPrice, usageCost } from '../estimate/estimate.js';
import { imageSummary, type Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import { findModel, type Cost, type Currency } from '../models.js';
import type { Plan } from '../plan/plan.js';
import { assistantTurn } from '../request/history.js';
import type { Message } from '../request/messages.js';
import { formatBytes, formatInt, formatMoney, formatSeconds, plural } from '../format.js';
import type { Terminal } from './terminal.js';

export interface DescribeResult {
  completion: Completion;
  /** The whole answer text (with a Partial Mode prefix in front). */
  text: string;
  plan: Plan;
  images: readonly Image[];
}

export function estimateLine(plan: Plan, imageCount: number): string {
  const e = plan.estimate;
  const price = hasPrice(plan.model, e.cost.currency) ? `est. ${formatMoney(e.cost)} input` : 'price unknown';
  const tokens = e.exact
    ? `${formatInt(e.input_tokens)} input tokens (exact)`
    : `~${formatInt(e.input_tokens)} input tokens (${formatInt(e.image_tokens)} image + ${formatInt(e.text_tokens)} text)`;
  return `${plural(imageCount, 'image')} · ${tokens} · ${plan.model} · ${price}`;
}

export function printDryRun(plan: Plan, images: readonly Image[], format: string, io: Io): void {
  if (format === 'json') {
    const out = { model: plan.model, images: images.map(imageSummary), estimate: plan.estimate, request_bytes: plan.body.bytes };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  for (const img of images) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    io.stdout.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\n`);
  }
  io.stdout.write(`${estimateLine(plan, images.length)}; request ${formatBytes(plan.body.bytes)}\n`);
}

/** The assistant turn as it goes into the saved conversation (with its reasoning: see request/history.ts). */
export function assistantMessage(r: DescribeResult): Message {
  return assistantTurn(r.text, r.completion.reasoning, r.completion.toolCalls);
}

export interface PrintOptions {
  format: string;
  /** The text already went to stdout as it arrived. */
  streamed: boolean;
  maxTokens: number | undefined;
  currency: Currency;
  elapsedMs: number;
  sessionId: string;
}

export function printResult(r: DescribeResult, p: PrintOptions, io: Io, term: Terminal): number {
  const c = r.completion;
  const model = c.model ?? r.plan.model;
  const cost: Cost = c.usage ? usageCost(findModel(model) ? model : r.plan.model, c.usage, p.currency) : { amount: 0, currency: p.currency };
  if (p.format === 'json') {
    const out = {
      model,
      text: r.text,
      finish_reason: c.finishReason ?? 'stop',
      usage: {
        prompt_tokens: c.usage?.prompt_tokens ?? 0,
        completion_tokens: c.usage?.completion_tokens ?? 0,
        total_tokens: c.usage?.total_tokens ?? 0,
      },
      cost,
      images: r.images.map(imageSummary),
      ...(c.toolCalls.length ? { tool_calls: c.toolCalls.map(toolCallJson) } : {}),
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (c.toolCalls.length > 0) {
    for (const call of c.toolCalls) io.stdout.write(`${JSON.stringify(toolCallJson(call))}\n`);
  } else if (!p.streamed) {
    io.stdout.write(jsonText(r.text, io) + (r.text.endsWith('\n') ? '' : '\n'));
  } else if (r.text && !r.text.endsWith('\n')) {
    io.stdout.write('\n');
  }
  if (!r.text && c.toolCalls.length === 0) term.warn('the model returned an empty answer.');
  const usage = c.usage
    ? `${formatInt(c.usage.prompt_tokens)} prompt + ${formatInt(c.usage.completion_tokens)} completion tokens · ${hasPrice(model, cost.currency) ? formatMoney(cost) : 'price unknown'}`
    : 'usage not reported';
  term.note(`${usage} · ${formatSeconds(p.elapsedMs)} · session ${p.sessionId}`, 'dim');
  if (c.toolCalls.length > 0) {
    term.note(`the model called ${plural(c.toolCalls.length, 'tool')}; answer with: kimi-vision describe --continue --tool-result '<id>=<json>'`);
  }
  if (c.finishReason === 'length') {
    term.warn(`the answer was cut off at the output token limit (finish_reason length). Raise --max-tokens${p.maxTokens ? ` (now ${p.maxTokens})` : ''} to get more.`);
  } else if (c.finishReason === 'content_filter') {
    throw new KvError(EXIT.rejected, "the answer was stopped by Moonshot's content filter (finish_reason content_filter).", 'Change the prompt or the images.');
  } else if (c.finishReason && !['stop', 'tool_calls'].includes(c.finishReason)) {
    term.warn(`the answer ended unusually (finish_reason ${c.finishReason}).`);
  }
  return EXIT.ok;
}

/** A tool call as one JSON line: id, name, and the arguments parsed (kept as a string if they are not JSON). */
function toolCallJson(call: Completion['toolCalls'][number]): { id: string; name: string; arguments: unknown } {
  let args: unknown = call.arguments;
  try {
    args = call.arguments ? JSON.parse(call.arguments) : {};
  } catch {
    // left as the raw string
  }
  return { id: call.id, name: call.name, arguments: args };
}

/** JSON answers print compact, or indented for a person at a terminal. Other text as it is. */
function jsonText(text: string, io: Io): string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return io.stdout.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  } catch {
    // not JSON
  }
  return text;
}
