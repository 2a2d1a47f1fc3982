// The result of one image, as one JSONL line / sidecar: the same record for --each and for batch
// results (build it from a Completion, whether streamed, whole, or read from a batch output file).
import type { Completion, Usage } from '../api/completion.js';
import { ApiError, errorType, KvError, type ExitCode } from '../errors.js';
import { findModel, type Cost, type Currency } from '../models.js';
import { usageCost } from '../estimate/estimate.js';

export interface RecordError {
  /** The exit code this failure alone would give (the table in src/errors.ts). */
  code: number;
  /** Moonshot's error type, a network error code, or one of kimi-vision's (too_long, content_filter, …). */
  type: string;
  message: string;
}

export interface ImageRecord {
  path: string;
  sha256: string;
  mime: string;
  model: string;
  text: string;
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  cost: Cost;
  /** Wall time of this image, retries included (0 for cache hits). */
  ms: number;
  error: RecordError | null;
  cached: boolean;
}

/** Which image a record is about. */
export interface RecordSubject {
  path: string;
  sha256: string;
  mime: string;
}

/** A failure of one image that is not the API's or the network's (too long, filtered, unwritable sidecar). */
export class ImageFailure extends KvError {
  readonly type: string;
  constructor(exitCode: ExitCode, type: string, message: string, hint?: string) {
    super(exitCode, message, hint);
    this.name = 'ImageFailure';
    this.type = type;
  }
}

const ZERO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export function usageOf(u: Usage | undefined): ImageRecord['usage'] {
  return u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens } : { ...ZERO_USAGE };
}

/** The cost of a finished answer: priced by the model that answered if the table knows it, else the one asked. */
export function answerCost(c: Pick<Completion, 'model' | 'usage'>, askedModel: string, currency: Currency): Cost {
  if (!c.usage) return { amount: 0, currency };
  return usageCost(c.model && findModel(c.model) ? c.model : askedModel, c.usage, currency);
}

export function successRecord(
  s: RecordSubject,
  c: Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'>,
  o: { model: string; currency: Currency; ms: number; cached: boolean },
): ImageRecord {
  return {
    path: s.path,
    sha256: s.sha256,
    mime: s.mime,
    model: c.model ?? o.model,
    text: c.text,
    finish_reason: c.finishReason ?? 'stop',
    usage: usageOf(c.usage),
    cost: o.cached ? { amount: 0, currency: o.currency } : answerCost(c, o.model, o.currency),
    ms: Math.round(o.ms),
    error: null,
    cached: o.cached,
  };
}

/**
 * An answer that came back, was billed, and still fails its image (too long for --max-chars, stopped
 * by the content filter, not the JSON asked for, its sidecar unwritable): the record keeps the text,
 * the usage and the cost it was billed (what the totals count), with the error. A paid answer is
 * never thrown away.
 */
export function failedAnswerRecord(record: ImageRecord, err: unknown): ImageRecord {
  return { ...record, error: recordError(err) };
}

/** A failed image that got no answer: empty text, zero usage and cost, the error with its exit code. */
export function failureRecord(s: RecordSubject, err: unknown, o: { model: string; currency: Currency; ms: number }): ImageRecord {
  return {
    path: s.path,
    sha256: s.sha256,
    mime: s.mime,
    model: o.model,
    text: '',
    finish_reason: null,
    usage: { ...ZERO_USAGE },
    cost: { amount: 0, currency: o.currency },
    ms: Math.round(o.ms),
    error: recordError(err),
    cached: false,
  };
}

export function recordError(err: unknown): RecordError {
  const code = err instanceof KvError ? err.exitCode : 1;
  const type = err instanceof ImageFailure ? err.type : err instanceof ApiError && !err.type ? `http_${err.status}` : errorType(err);
  const message = (err as Error)?.message ?? String(err);
  return { code, type, message: message.replace(/\s*\n\s*/g, ' ') };
}
