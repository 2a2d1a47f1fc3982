// Before a --each run sends anything: which images are this run's (the shard, --skip-existing), and
// what they would cost (each planned once for its estimate and its cache lookup, then dropped: it is
// planned again when its turn comes, so thousands of waiting images hold no plan, and the estimates
// are added up as they come, not kept).
import { forEachBounded, mapBounded } from '../concurrency.js';
import { sumEstimates, type Estimate } from '../estimate/estimate.js';
import { formatInt } from '../format.js';
import { isBadInput } from '../inputs/bad-input.js';
import type { Image } from '../inputs/image.js';
import { inShard, shardName } from '../inputs/shard.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import type { Plan } from '../plan/plan.js';
import { hasSidecar } from '../results/sidecar.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import type { ImageList } from './image-list.js';
import { lookup, planImage, type Job } from './job.js';
import type { EachSettings } from './options.js';

/** Lookups at once: thousands of files must not exhaust the open-file limit (a failed read would be a cache miss, and a paid request). */
const LOOKUP_PARALLEL = 32;

export interface Selection {
  /** The inputs to describe, in input order (a bad input in its place, to be recorded as failed). */
  work: ImageList;
  /** The paths left alone: their sidecar exists (--skip-existing). */
  skipped: string[];
}

export async function selectImages(images: ImageList, s: EachSettings, io: Io, term: Terminal): Promise<Selection> {
  const shard = s.shard;
  const mine = shard ? images.filter((img) => inShard(shardName(img, io.cwd), shard)) : images;
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(mine.length)} of ${formatInt(images.length)} inputs`);
  const write = s.skipExisting ? s.write : undefined;
  if (!write) return { work: mine, skipped: [] };
  const indices = Array.from({ length: mine.length }, (_, i) => i);
  // A bad input is never skipped: its sidecar says nothing about the file as it is now.
  const has = await mapBounded(indices, LOOKUP_PARALLEL, (i) => {
    const img = mine.get(i);
    return !isBadInput(img) && img.source.kind === 'file' ? hasSidecar(img.source.file, write) : Promise.resolve(false);
  });
  return { work: mine.filter((_, i) => !has[i]), skipped: indices.filter((i) => has[i]).map((i) => mine.pathOf(i)) };
}

export interface Survey {
  /** The sum of the estimates of the images to send (not cached). */
  estimate: Estimate;
  toSend: number;
  /** Cached answers by image index. */
  hits: Map<number, CachedAnswer>;
}

export async function survey(job: Job, work: ImageList): Promise<Survey> {
  const hits = new Map<number, CachedAnswer>();
  const { currency } = job.settings;
  // Added up as they come (the money rounded once, at the end, as sumEstimates does).
  const sum = sumEstimates([], currency);
  let toSend = 0;
  const add = (plan: Plan) => {
    toSend += 1;
    sum.image_tokens += plan.estimate.image_tokens;
    sum.text_tokens += plan.estimate.text_tokens;
    sum.input_tokens += plan.estimate.input_tokens;
    sum.cost.amount += plan.estimate.cost.amount;
  };
  if (!job.cache) {
    // No cache to ask: each image planned and dropped in turn, none held across an await (32 plans
    // waiting on lookups that answer nothing were what a dry run's young collections found alive).
    for (let i = 0; i < work.length; i++) {
      const img = work.get(i);
      if (!isBadInput(img)) add(planImage(job, img, job.settings.model));
    }
    return { estimate: sumEstimates([sum], currency), toSend, hits };
  }
  await forEachBounded(work.length, LOOKUP_PARALLEL, async (i) => {
    const img = work.get(i);
    if (isBadInput(img)) return; // nothing to send: its failure is recorded when the run reaches it
    const plan = planImage(job, img, job.settings.model);
    const hit = await lookup(job, img, plan);
    if (hit) return void hits.set(i, hit);
    add(plan);
  });
  return { estimate: sumEstimates([sum], currency), toSend, hits };
}

/** The images a dry run shows as sent (not cached), each planned as it is shown. */
export function* toSend(job: Job, work: ImageList, hits: ReadonlyMap<number, CachedAnswer>): Generator<{ img: Image; plan: Plan }> {
  for (let i = 0; i < work.length; i++) {
    if (hits.has(i)) continue;
    const img = work.get(i);
    if (isBadInput(img)) continue;
    yield { img, plan: planImage(job, img, job.settings.model) };
  }
}
