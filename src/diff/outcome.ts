// What a finished diff request's answer means for its pair: the answer, one retry with what was
// wrong, or a failure. Pure.
import type { Completion, Usage } from '../api/completion.js';
import { EXIT } from '../errors.js';
import { ImageFailure } from '../results/record.js';
import { checkDiffAnswer, type DiffAnswer } from './answer.js';

export type Judged =
  | { kind: 'answer'; answer: DiffAnswer }
  /** The first answer fails the check: ask once more, quoting the problem. */
  | { kind: 'retry'; problem: string }
  | { kind: 'fail'; error: ImageFailure };

/** `retried`: this is the answer to the one retry, so a bad one fails the pair (exit 5). */
export function judgeAnswer(c: Pick<Completion, 'text' | 'finishReason'>, expecting: boolean, retried: boolean): Judged {
  if (c.finishReason === 'content_filter') {
    const error = new ImageFailure(
      EXIT.rejected,
      'content_filter',
      "the answer was stopped by Moonshot's content filter (finish_reason content_filter).",
      'Change the prompt or the images.',
    );
    return { kind: 'fail', error };
  }
  const check = checkDiffAnswer(c.text, expecting);
  if (check.ok) return { kind: 'answer', answer: check.answer };
  if (!retried) return { kind: 'retry', problem: check.problem };
  const cut = c.finishReason === 'length';
  const error = new ImageFailure(
    EXIT.rejected,
    'invalid_json',
    `the answer is still not the JSON asked for after one retry: ${check.problem}.`,
    cut ? 'The answer was cut off at the output token limit: raise --max-tokens.' : 'Run again, or pick a stronger model (-m kimi-k3).',
  );
  return { kind: 'fail', error };
}

/** The usage of a pair answered after its retry: both requests, so its record shows what it cost. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a || !b) return a ?? b;
  const sum: Usage = {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
  if (a.cached_tokens !== undefined || b.cached_tokens !== undefined) sum.cached_tokens = (a.cached_tokens ?? 0) + (b.cached_tokens ?? 0);
  return sum;
}
