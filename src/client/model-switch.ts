// The mid-run switch to another model when the key cannot use the default one (404), for a run of
// many requests (describe --each, diff, alt): looked up once per failed model (pace/runner.ts holds
// every new request meanwhile), re-estimated for the items still to do (refused above --max-cost),
// with the answers the cache has for the new model. What an item is, how it is planned and looked
// up, is the caller's; the decision and its words are here.
import type { MoonshotClient } from '../api/client.js';
import { mapBounded } from '../concurrency.js';
import { sumEstimates, type Estimate } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import type { Currency } from '../models.js';
import { listedFallback } from './fallback.js';

/** Cache lookups at once (files: the open-file limit). */
const LOOKUP_PARALLEL = 32;

export interface ModelSwitchOptions<T, H, C, P extends { estimate: Estimate }> {
  model: string;
  /** What requests to `model` need that depends on it (the request fields of describe --each). */
  context: C;
  /** The same for another model, made before anything is planned for it. */
  contextFor: (model: string) => Promise<C>;
  client: Pick<MoonshotClient, 'getJson'>;
  currency: Currency;
  maxCost: number | undefined;
  warn: (line: string) => void;
  /** The items not finished yet (and not cached): what a new model would still have to send. */
  pending: () => { item: T; i: number }[];
  /** An item's request under a model (for its estimate), and its cached answer for that request. */
  plan: (item: T, model: string, context: C) => P;
  lookup: (item: T, plan: P) => Promise<H | undefined>;
}

/** The parts of a run a switch takes from it: its settings, --max-cost, the terminal. */
export interface SwitchRun {
  settings: { model: string; currency: Currency };
  o: { maxCost?: number | undefined };
  term: { warn(line: string): void };
}

/** A switch for a run, with the run's model, currency, --max-cost and warnings (and no context unless given). */
export function switchFor<T, H, P extends { estimate: Estimate }, C = undefined>(
  run: SwitchRun,
  client: Pick<MoonshotClient, 'getJson'>,
  o: {
    pending: () => { item: T; i: number }[];
    plan: (item: T, model: string, context: C) => P;
    lookup: (item: T, plan: P) => Promise<H | undefined>;
    context?: C;
    contextFor?: (model: string) => Promise<C>;
  },
): ModelSwitch<T, H, C, P> {
  return new ModelSwitch<T, H, C, P>({
    model: run.settings.model,
    context: o.context as C,
    contextFor: o.contextFor ?? (async () => undefined as C),
    client,
    currency: run.settings.currency,
    maxCost: run.o.maxCost,
    warn: (line) => run.term.warn(line),
    pending: o.pending,
    plan: o.plan,
    lookup: o.lookup,
  });
}

export class ModelSwitch<T, H, C = undefined, P extends { estimate: Estimate } = { estimate: Estimate }> {
  model: string;
  context: C;
  /** Answers found in the cache for the model switched to, by item index. */
  readonly lateHits = new Map<number, H>();

  constructor(private readonly o: ModelSwitchOptions<T, H, C, P>) {
    this.model = o.model;
    this.context = o.context;
  }

  /** The model to go on with after `failed` answered 404; undefined when there is none (or it costs too much). */
  async from(failed: string): Promise<string | undefined> {
    const { o } = this;
    const next = await listedFallback(o.client, failed);
    if (!next) return undefined;
    const context = await o.contextFor(next);
    const left = o.pending();
    const surveyed = await mapBounded(left, LOOKUP_PARALLEL, async ({ item }) => {
      const plan = o.plan(item, next, context);
      return { estimate: plan.estimate, hit: await o.lookup(item, plan) };
    });
    const estimate = sumEstimates(
      surveyed.filter((x) => x.hit === undefined).map((x) => x.estimate),
      o.currency,
    );
    if (o.maxCost !== undefined && estimate.cost.amount > o.maxCost) {
      o.warn(`${failed} is not available to this key (404), and ${next} would cost an estimated ${formatMoney(estimate.cost)}, above --max-cost; not falling back.`);
      return undefined;
    }
    o.warn(`${failed} is not available to this key (404); using ${next} instead (est. ${formatMoney(estimate.cost)} input). Choose one with -m.`);
    left.forEach(({ i }, k) => {
      const hit = surveyed[k]?.hit;
      if (hit !== undefined) this.lateHits.set(i, hit);
    });
    this.model = next;
    this.context = context;
    return next;
  }
}
