// What describe prints when it is done: the answer (or tool calls, or JSON), then the usage line;
// and what a dry run of one request prints. A presenter: it takes plain values and prints them.
import { formatBytes, formatInt, formatMoney, formatSeconds, plural } from '../format.js';
import type { Io } from '../io.js';
import type { Cost } from '../models.js';
import { estimateLine, type EstimateView } from './estimate-line.js';
import type { Terminal } from './terminal.js';

/** An image as JSON output shows it (bytes as sent; original_bytes when resized). */
export interface ImageSummary {
  path: string;
  mime: string;
  bytes: number;
  sha256: string;
  original_bytes?: number;
}

interface ImageRow extends ImageSummary {
  dimensions: { width: number; height: number } | undefined;
}

export interface AnswerView {
  /** The model that answered (as it said), else the one asked. */
  model: string;
  /** The whole answer (a Partial Mode prefix in front). */
  text: string;
  finishReason: string | undefined;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
  cost: Cost;
  priced: boolean;
  images: readonly ImageSummary[];
  toolCalls: readonly { id: string; name: string; arguments: string }[];
}

export interface PrintOptions {
  format: string;
  /** The text already went to stdout as it arrived. */
  streamed: boolean;
  maxTokens: number | undefined;
  elapsedMs: number;
  /** The session the turn was saved in; undefined when it could not be saved (the error follows). */
  sessionId: string | undefined;
}

export interface RequestDryRun {
  model: string;
  images: readonly ImageRow[];
  estimate: EstimateView;
  priced: boolean;
  requestBytes: number;
}

/** json: `{"model","images":[{path,mime,bytes,sha256}],"estimate":{…},"request_bytes"}`; text: a line per image and the estimate. */
export function printRequestDryRun(d: RequestDryRun, format: string, io: Io): void {
  if (format === 'json') {
    const images = d.images.map(({ dimensions: _d, ...summary }) => summary);
    io.stdout.write(`${JSON.stringify({ model: d.model, images, estimate: d.estimate, request_bytes: d.requestBytes })}\n`);
    return;
  }
  for (const img of d.images) {
    const size = img.dimensions ? `${img.dimensions.width}x${img.dimensions.height}` : 'size unknown';
    io.stdout.write(`${img.path}\t${img.mime}\t${formatBytes(img.bytes)}\t${size}\n`);
  }
  io.stdout.write(`${estimateLine(d.estimate, { images: d.images.length, model: d.model, priced: d.priced })}; request ${formatBytes(d.requestBytes)}\n`);
}

export function printAnswer(a: AnswerView, p: PrintOptions, io: Io, term: Terminal): void {
  if (p.format === 'json') {
    const usage = { prompt_tokens: a.usage?.prompt_tokens ?? 0, completion_tokens: a.usage?.completion_tokens ?? 0, total_tokens: a.usage?.total_tokens ?? 0 };
    const out = {
      model: a.model,
      text: a.text,
      finish_reason: a.finishReason ?? 'stop',
      usage,
      cost: a.cost,
      images: a.images,
      ...(a.toolCalls.length ? { tool_calls: a.toolCalls.map(toolCallJson) } : {}),
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (a.toolCalls.length > 0) {
    for (const call of a.toolCalls) io.stdout.write(`${JSON.stringify(toolCallJson(call))}\n`);
  } else if (!p.streamed) {
    io.stdout.write(jsonText(a.text, io) + (a.text.endsWith('\n') ? '' : '\n'));
  } else if (a.text && !a.text.endsWith('\n')) {
    io.stdout.write('\n');
  }
  if (!a.text && a.toolCalls.length === 0) term.warn('the model returned an empty answer.');
  const usage = a.usage
    ? `${formatInt(a.usage.prompt_tokens)} prompt + ${formatInt(a.usage.completion_tokens)} completion tokens · ${a.priced ? formatMoney(a.cost) : 'price unknown'}`
    : 'usage not reported';
  term.note(`${usage} · ${formatSeconds(p.elapsedMs)} · ${p.sessionId ? `session ${p.sessionId}` : 'not saved'}`, 'dim');
  if (a.toolCalls.length > 0) {
    term.note(`the model called ${plural(a.toolCalls.length, 'tool')}; answer with: kimi-vision describe --continue --tool-result '<id>=<json>'`);
  }
  if (a.finishReason === 'length') {
    term.warn(`the answer was cut off at the output token limit (finish_reason length). Raise --max-tokens${p.maxTokens ? ` (now ${p.maxTokens})` : ''} to get more.`);
  } else if (a.finishReason && !['stop', 'tool_calls', 'content_filter'].includes(a.finishReason)) {
    term.warn(`the answer ended unusually (finish_reason ${a.finishReason}).`);
  }
}

/** A tool call as one JSON line: id, name, and the arguments parsed (kept as a string if they are not JSON). */
function toolCallJson(call: AnswerView['toolCalls'][number]): { id: string; name: string; arguments: unknown } {
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
