// How much answer one request may bring before kimi-vision calls it endless. A server that streams
// deltas forever (no finish_reason, no [DONE]) would otherwise fill memory and, on a terminal,
// stdout. The limit follows the output the request allows: --max-tokens, else the model's output
// limit, else its context (output cannot exceed it), else the largest any model in the table has.
//
// Tokens are not counted on the wire (the stream carries text), so the limit is in characters and
// events, with a wide margin: prose runs ~4 characters a token in English and 1-2 in Chinese, and
// the longest tokens (runs of spaces or punctuation) are ~16 characters, so no honest answer comes
// near 16 characters a token over its whole length. Honest streams carry at least one token in most
// events; 4 events a token leaves room for role, usage and empty keep-alive events.
import { NetworkError } from '../errors.js';
import { formatInt } from '../format.js';
import { findModel, MODELS } from '../models.js';
import type { Completion } from './completion.js';

export interface OutputLimit {
  /** Output tokens the request allows. */
  tokens: number;
  /** Where that number comes from, for the message: "--max-tokens 100", "kimi-k3's output limit". */
  source: string;
}

const CHARS_PER_TOKEN = 16;
const EVENTS_PER_TOKEN = 4;
/** Floors, so a small --max-tokens never cuts an honest answer short. */
const MIN_CHARS = 65_536;
const MIN_EVENTS = 4_096;
/** For a model not in the table: the most output any model of the table allows (262,144 today). */
export const DEFAULT_OUTPUT_TOKENS = Math.max(...MODELS.map((m) => m.maxOutput ?? m.context));

/** The limit of a request to `model` with --max-tokens `maxTokens` (either may be unknown). Pure. */
export function outputLimit(model?: string, maxTokens?: number): OutputLimit {
  if (maxTokens !== undefined && maxTokens > 0) return { tokens: maxTokens, source: `--max-tokens ${formatInt(maxTokens)}` };
  const m = model === undefined ? undefined : findModel(model);
  if (m?.maxOutput) return { tokens: m.maxOutput, source: `${m.id}'s output limit` };
  if (m) return { tokens: m.context, source: `${m.id}'s context` };
  return { tokens: DEFAULT_OUTPUT_TOKENS, source: 'the largest output of the models kimi-vision knows' };
}

export function charLimit(l: OutputLimit): number {
  return Math.max(MIN_CHARS, l.tokens * CHARS_PER_TOKEN);
}

export function eventLimit(l: OutputLimit): number {
  return Math.max(MIN_EVENTS, l.tokens * EVENTS_PER_TOKEN);
}

/** Bytes a whole (non-streamed) JSON answer may have: its characters, each at most 6 bytes as JSON (\uXXXX). */
export function answerBytesLimit(l: OutputLimit): number {
  return 6 * charLimit(l) + 1024 * 1024;
}

/** The output characters of a completion so far: text, reasoning and tool-call arguments (all billed as output). */
export function outputChars(c: Pick<Completion, 'text' | 'reasoning' | 'toolCalls'>): number {
  let n = c.text.length + c.reasoning.length;
  for (const call of c.toolCalls) n += call ? call.arguments.length : 0;
  return n;
}

/** Counts a stream's events and output; says when either went past the limit. */
export class OutputMeter {
  private events = 0;
  private readonly maxChars: number;
  private readonly maxEvents: number;
  constructor(readonly limit: OutputLimit) {
    this.maxChars = charLimit(limit);
    this.maxEvents = eventLimit(limit);
  }

  /** One more event, after which the completion has `chars` output characters: what is over, if anything. */
  over(chars: number): string | undefined {
    this.events += 1;
    if (chars > this.maxChars) return `${formatInt(this.maxChars)} characters`;
    if (this.events > this.maxEvents) return `${formatInt(this.maxEvents)} events`;
    return undefined;
  }
}

/** The error of an answer that did not end: not retried (each attempt could cost the whole output again). */
export function endlessAnswer(host: string, limit: OutputLimit, past: string, shown: boolean): NetworkError {
  return new NetworkError(
    'endless_answer',
    `the answer from ${host} did not end: it went past ${past}, more than ${formatInt(limit.tokens)} output tokens (${limit.source}) can be, so kimi-vision stopped reading it.${shown ? ' The answer above is incomplete.' : ''}`,
    'The server kept sending without finishing the answer; try again later, and check any proxy or gateway in between.',
    shown,
    false,
  );
}
