// What the three runs of many requests (describe --each, alt, diff) do alike with an item once the
// runner has settled it: the failure said in the API's words, the plan kept per model, the answer
// kept in the cache.
import { explainApiError } from '../api/explain.js';
import { ApiError, KvError } from '../errors.js';
import type { Terminal } from '../output/terminal.js';
import type { AnswerCache, CachedAnswer } from '../store/answer-cache.js';
import type { Settled } from './runner.js';

/** A failed item's error as the user reads it (an API error explained for its model), and its hint. */
export function failureOf(s: Extract<Settled, { ok: false }>, model: string): { error: unknown; hint: string | undefined } {
  const error = s.error instanceof ApiError ? explainApiError(s.error, { model, attempts: s.attempts }) : s.error;
  return { error, hint: error instanceof KvError ? error.hint : undefined };
}

/** Each item's plan for the model of the moment: made when its turn comes, again after a model switch, dropped once it is done. */
export class Plans<P extends { model: string }> {
  private readonly byItem = new Map<number, P>();

  constructor(private readonly make: (i: number, model: string) => P) {}

  of(i: number, model: string): P {
    const planned = this.byItem.get(i);
    if (planned?.model === model) return planned;
    const plan = this.make(i, model);
    this.byItem.set(i, plan);
    return plan;
  }

  drop(i: number): void {
    this.byItem.delete(i);
  }
}

/** --cache: an answer kept under its key; a cache that cannot be written is said once, and the run goes on. */
export async function keepAnswer(job: { cache?: AnswerCache | undefined; warned: Set<string>; term: Terminal }, key: string, entry: CachedAnswer): Promise<void> {
  const { cache } = job;
  if (!cache) return;
  await cache.put(key, entry).catch((err: Error) => {
    if (job.warned.has('cache')) return;
    job.warned.add('cache');
    job.term.warn(`the cache in ${cache.dir} cannot be written (${err.message}); answers are not kept.`);
  });
}
