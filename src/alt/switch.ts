// The mid-run switch to another model when the key cannot use the default one (404), as --each and
// diff do it: looked up once per failed model (pace/runner.ts) while the pace holds every new
// request, re-estimated for the captions still to do (refused above --max-cost), with the answers
// the cache has for the new model.
import type { MoonshotClient } from '../api/client.js';
import { listedFallback } from '../client/fallback.js';
import { mapBounded } from '../concurrency.js';
import { sumEstimates } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import type { Plan } from '../plan/plan.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import { lookupCaption, planCaption, type AltJob, type SendCaption } from './job.js';

export class AltSwitch {
  model: string;
  /** Answers found in the cache for the model switched to, by caption index. */
  readonly lateHits = new Map<number, CachedAnswer>();

  constructor(
    private readonly job: AltJob,
    private readonly client: Pick<MoonshotClient, 'getJson'>,
    /** The captions not settled yet (and not cached): what a new model would still send. */
    private readonly pending: () => { c: SendCaption; i: number }[],
  ) {
    this.model = job.settings.model;
  }

  /** The model to go on with after `failed` answered 404; undefined when there is none. */
  async from(failed: string): Promise<string | undefined> {
    const { job } = this;
    const next = await listedFallback(this.client, failed);
    if (!next) return undefined;
    const left = this.pending();
    const plans = left.map(({ c }) => planCaption(job, c, next));
    const cached = await mapBounded(left, 32, ({ c }, k) => lookupCaption(job, c, plans[k] as Plan));
    const estimate = sumEstimates(
      plans.filter((_, k) => cached[k] === undefined).map((p) => p.estimate),
      job.settings.currency,
    );
    if (job.o.maxCost !== undefined && estimate.cost.amount > job.o.maxCost) {
      job.term.warn(`${failed} is not available to this key (404), and ${next} would cost an estimated ${formatMoney(estimate.cost)}, above --max-cost; not falling back.`);
      return undefined;
    }
    job.term.warn(`${failed} is not available to this key (404); using ${next} instead (est. ${formatMoney(estimate.cost)} input). Choose one with -m.`);
    left.forEach(({ i }, k) => {
      const hit = cached[k];
      if (hit) this.lateHits.set(i, hit);
    });
    this.model = next;
    return next;
  }
}
