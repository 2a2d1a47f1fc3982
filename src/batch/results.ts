// A finished batch's output and error files -> one outcome per custom_id -> the same ImageRecord
// as describe --each writes (src/each/record.ts). Pure.
import { fromBody, type Completion } from '../api/completion.js';
import { explainApiError } from '../api/explain.js';
import { ApiError, EXIT, type KvError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { checkAnswer } from '../results/check.js';
import { answerCost, failedAnswerRecord, failureRecord, ImageFailure, successRecord, type ImageRecord, type RecordSubject } from '../results/record.js';
import type { Currency } from '../models.js';

/** Batches carry no JSON Mode (submit has no --json-object / --schema). */
const NO_JSON = { json: false, schema: undefined };

export type Outcome = { ok: true; completion: Completion } | { ok: false; error: KvError };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Reads output or error file lines: `{"custom_id","response":{"status_code","request_id","body"},"error"}`.
 * A 2xx response is an answer; a response >= 400 is the API error its body carries; a line with
 * only `error` (expired, cancelled, …) is a failure of that type. Unreadable lines are counted.
 */
export function parseResultLines(text: string, into: Map<string, Outcome> = new Map()): { results: Map<string, Outcome>; unreadable: number } {
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      unreadable += 1;
      continue;
    }
    if (!isObj(line) || typeof line.custom_id !== 'string') {
      unreadable += 1;
      continue;
    }
    into.set(line.custom_id, outcomeOf(line));
  }
  return { results: into, unreadable };
}

function outcomeOf(line: Obj): Outcome {
  const response = isObj(line.response) ? line.response : undefined;
  const status = typeof response?.status_code === 'number' ? response.status_code : undefined;
  if (response && status !== undefined && status < 400 && !isObj(line.error)) return { ok: true, completion: fromBody(response.body) };
  const bodyError = isObj(response?.body) && isObj(response.body.error) ? response.body.error : undefined;
  const lineError = isObj(line.error) ? line.error : undefined;
  const type = str(bodyError?.type) || str(lineError?.code) || str(lineError?.type);
  const message = str(bodyError?.message) || str(lineError?.message) || (status !== undefined ? `HTTP ${status}` : 'the batch gave no answer for this request');
  const requestId = str(response?.request_id) || undefined;
  if (status !== undefined && status >= 400) return { ok: false, error: new ApiError({ status, type, message, requestId }) };
  // No HTTP answer: the batch expired or was cancelled before this request ran (a rerun can fix it), or worse.
  const again = /expired|cancel/i.test(type);
  return { ok: false, error: new ImageFailure(again ? EXIT.temporary : EXIT.rejected, type || 'batch_error', message, again ? 'Submit the image again.' : undefined) };
}

export interface RecordContext {
  model: string;
  currency: Currency;
  maxChars: number | undefined;
}

/**
 * The outcome of a request the batch gave no line for: it expired or was cancelled first (send it
 * again: exit 75), or the whole batch failed validation (exit 5, with the batch's reasons).
 */
export function missingOutcome(batch: { id: string; status: string; errors: string[] }, id: string): Outcome {
  if (batch.status === 'failed') {
    const why = batch.errors.length > 0 ? `: ${batch.errors.join('; ')}` : '';
    return { ok: false, error: new ImageFailure(EXIT.rejected, 'batch_failed', `the batch ${batch.id} failed validation${why}.`, 'Fix what it names and submit again.') };
  }
  return { ok: false, error: new ImageFailure(EXIT.temporary, 'no_result', `the batch ${batch.id} (${batch.status}) has no result for ${id}.`, 'Submit the image again.') };
}

export interface Built {
  record: ImageRecord;
  /** What its request was billed (also for an answer that failed a check). */
  spent?: { prompt_tokens: number; completion_tokens: number; cost: number; priced: boolean };
  hint?: string;
}

/**
 * The record of one image from its outcome: `ms` is 0 (the Batch API does not time requests),
 * `cached` false. An answer is checked as --each checks it (content filter, --max-chars).
 */
export async function buildRecord(subject: RecordSubject, outcome: Outcome, ctx: RecordContext): Promise<Built> {
  const base = { model: ctx.model, currency: ctx.currency, ms: 0 };
  if (!outcome.ok) {
    const e = outcome.error instanceof ApiError ? explainApiError(outcome.error, { model: ctx.model }) : outcome.error;
    return { record: failureRecord(subject, e, base), hint: e.hint };
  }
  const c = outcome.completion;
  const spent = {
    prompt_tokens: c.usage?.prompt_tokens ?? 0,
    completion_tokens: c.usage?.completion_tokens ?? 0,
    cost: answerCost(c, ctx.model, ctx.currency).amount,
    priced: hasPrice(c.model ?? ctx.model, ctx.currency) || hasPrice(ctx.model, ctx.currency),
  };
  const record = successRecord(subject, c, { ...base, cached: false });
  // A failed check keeps the paid answer in the record: its text, usage and cost (what `spent` counts).
  const problem = await checkAnswer(c, ctx.maxChars, NO_JSON);
  if (problem) return { record: failedAnswerRecord(record, problem), spent, hint: problem.hint };
  return { record, spent };
}
