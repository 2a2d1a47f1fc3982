// The mid-run switch to another model when the key cannot use the default one (404): looked up once
// per failed model (pace/runner.ts) while the pace holds every new request, re-estimated for the
// images still to do (refused above --max-cost), with the answers the cache has for the new model.
import type { MoonshotClient } from '../api/client.js';
import { listedFallback } from '../client/fallback.js';
import { mapBounded } from '../concurrency.js';
import { sumEstimates } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import type { Image } from '../inputs/image.js';
import { planResponse, type ResponsePlan } from '../request/response.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import { lookup, planImage, type Job } from './job.js';

export class ModelSwitch {
  model: string;
  response: ResponsePlan;
  /** Answers found in the cache for the model switched to, by image index. */
  readonly lateHits = new Map<number, CachedAnswer>();

  constructor(
    private readonly job: Job,
    private readonly client: Pick<MoonshotClient, 'getJson'>,
    /** The images not finished yet (and not cached), by index: what a new model would still send. */
    private readonly pending: () => { img: Image; i: number }[],
  ) {
    this.model = job.settings.model;
    this.response = job.response;
  }

  /** The model to go on with after `failed` answered 404 (the runner asks once per failed model); undefined when there is none. */
  async from(failed: string): Promise<string | undefined> {
    const { job } = this;
    const next = await listedFallback(this.client, failed);
    if (!next) return undefined;
    const response = await planResponse(job.o, next, job.io.cwd);
    const left = this.pending();
    const plans = left.map(({ img }) => planImage(job, img, next, response));
    const cached = await mapBounded(left, 32, ({ img }, k) => lookup(job, img, plans[k]!));
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
    this.response = response;
    return next;
  }
}
