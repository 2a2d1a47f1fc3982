// Before an alt run sends anything: what each caption's request would cost and which the cache
// already answers (each planned once for both, then dropped: it is planned again when its turn
// comes, so thousands of waiting captions hold no plan).
import { forEachBounded } from '../concurrency.js';
import { sumEstimates, type Estimate } from '../estimate/estimate.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import { isSendable, lookupCaption, planCaption, type AltJob, type Caption } from './job.js';

/** Cache lookups at once: thousands of entries must not exhaust the open-file limit. */
const LOOKUP_PARALLEL = 32;

export interface AltSurvey {
  /** The sum of the estimates of the captions to send (not cached). */
  estimate: Estimate;
  toSend: number;
  /** Answers the cache has, by caption index. */
  hits: Map<number, CachedAnswer>;
  /** The estimate of each caption to send, by index (for the dry run). */
  estimates: Map<number, Estimate>;
}

export async function surveyCaptions(job: AltJob, captions: readonly Caption[]): Promise<AltSurvey> {
  const hits = new Map<number, CachedAnswer>();
  const estimates = new Map<number, Estimate>();
  await forEachBounded(captions.length, LOOKUP_PARALLEL, async (i) => {
    const c = captions[i] as Caption;
    if (!isSendable(c)) return;
    const plan = planCaption(job, c, job.settings.model);
    const hit = await lookupCaption(job, c, plan);
    if (hit) hits.set(i, hit);
    else estimates.set(i, plan.estimate);
  });
  // Summed in caption order, whatever order the lookups finished in.
  const sending = [...estimates.entries()].sort(([a], [b]) => a - b).map(([, e]) => e);
  return { estimate: sumEstimates(sending, job.settings.currency), toSend: sending.length, hits, estimates };
}
