// What became of one caption: its alt text (from a request or the cache), a failure (with what the
// request was billed, when there was one: a paid answer is never thrown away), or a skip. And the
// check of an answer: the content filter, an answer cut off, empty or over --max-chars. Pure.
import type { Completion } from '../api/completion.js';
import { EXIT, InputError } from '../errors.js';
import type { Cost, Currency } from '../models.js';
import { answerCost, ImageFailure, recordError, usageOf, type RecordError } from '../results/record.js';
import { altFromAnswer } from './prompt.js';

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type CaptionOutcome =
  | { kind: 'alt'; alt: string; cached: boolean; usage: Usage; cost: Cost }
  | { kind: 'failed'; error: RecordError; usage: Usage | null; cost: Cost | null }
  | { kind: 'skipped'; why: string };

type Answer = Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'>;

/** The alt text in an answer, or why the answer gives none. */
export function altOfAnswer(c: Pick<Completion, 'text' | 'finishReason'>, maxChars: number): { alt: string } | { error: ImageFailure } {
  if (c.finishReason === 'content_filter') {
    return {
      error: new ImageFailure(
        EXIT.rejected,
        'content_filter',
        "the answer was stopped by Moonshot's content filter (finish_reason content_filter).",
        'Change the prompt (-p), or write this alt text yourself.',
      ),
    };
  }
  if (c.finishReason === 'length') {
    return {
      error: new ImageFailure(
        EXIT.rejected,
        'cut_off',
        'the answer was cut off at the output token limit (finish_reason length).',
        'Raise --max-tokens (a thinking model spends tokens on its reasoning first).',
      ),
    };
  }
  const got = altFromAnswer(c.text, maxChars);
  if ('alt' in got) return got;
  const hint = got.error === 'too_long' ? 'Raise --max-chars, or ask for less with -p; a rerun asks again.' : 'Run again, or write this alt text yourself.';
  return { error: new ImageFailure(EXIT.rejected, got.error, `${got.message}.`, hint) };
}

/** The outcome of an answer that came back (billed whether or not it passes the check). */
export function answerOutcome(c: Answer, model: string, currency: Currency, maxChars: number, cached: boolean): { outcome: CaptionOutcome; hint?: string } {
  const usage = usageOf(c.usage);
  const cost = cached ? { amount: 0, currency } : answerCost(c, model, currency);
  const got = altOfAnswer(c, maxChars);
  if ('alt' in got) return { outcome: { kind: 'alt', alt: got.alt, cached, usage, cost } };
  return { outcome: { kind: 'failed', error: recordError(got.error), usage, cost }, hint: got.error.hint };
}

/** A caption that got no answer: its image unreadable (`bad_input`, exit 3, as --each), or the request failed. */
export function failureOutcome(err: unknown): CaptionOutcome {
  const e = err instanceof InputError ? new ImageFailure(EXIT.input, 'bad_input', err.message, err.hint) : err;
  return { kind: 'failed', error: recordError(e), usage: null, cost: null };
}
