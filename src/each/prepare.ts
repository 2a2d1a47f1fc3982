// Before a --each run sends anything: which images are this run's (the shard, --skip-existing), and
// what they would cost (each planned once for its estimate and its cache lookup, then dropped: it is
// planned again when its turn comes, so thousands of waiting images hold no plan).
import { forEachBounded, mapBounded } from '../concurrency.js';
import { sumEstimates, type Estimate } from '../estimate/estimate.js';
import { formatInt } from '../format.js';
import { isBadInput, type Input } from '../inputs/bad-input.js';
import type { Image } from '../inputs/image.js';
import { inShard, shardName } from '../inputs/shard.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import { hasSidecar } from '../results/sidecar.js';
import type { CachedAnswer } from '../store/answer-cache.js';
import { lookup, planImage, type Job } from './job.js';
import type { EachSettings } from './options.js';

/** Lookups at once: thousands of files must not exhaust the open-file limit (a failed read would be a cache miss, and a paid request). */
const LOOKUP_PARALLEL = 32;

export interface Selection {
  /** The images to describe, in input order (a bad input in its place, to be recorded as failed). */
  work: Input[];
  /** Left alone: their sidecar exists (--skip-existing). */
  skipped: Image[];
}

export async function selectImages(images: readonly Input[], s: EachSettings, io: Io, term: Terminal): Promise<Selection> {
  const shard = s.shard;
  const mine = shard ? images.filter((img) => inShard(shardName(img, io.cwd), shard)) : images;
  if (shard) term.note(`shard ${shard.index}/${shard.count}: ${formatInt(mine.length)} of ${formatInt(images.length)} inputs`);
  const write = s.skipExisting ? s.write : undefined;
  if (!write) return { work: [...mine], skipped: [] };
  // A bad input is never skipped: its sidecar says nothing about the file as it is now.
  const has = await mapBounded(mine, LOOKUP_PARALLEL, (img) => (!isBadInput(img) && img.source.kind === 'file' ? hasSidecar(img.source.file, write) : Promise.resolve(false)));
  return { work: mine.filter((_, i) => !has[i]), skipped: mine.filter((x, i): x is Image => has[i] === true && !isBadInput(x)) };
}

export interface Survey {
  /** The sum of the estimates of the images to send (not cached). */
  estimate: Estimate;
  toSend: number;
  /** Cached answers by image index. */
  hits: Map<number, CachedAnswer>;
}

export async function survey(job: Job, work: readonly Input[]): Promise<Survey> {
  const hits = new Map<number, CachedAnswer>();
  const sending: Estimate[] = [];
  await forEachBounded(work.length, LOOKUP_PARALLEL, async (i) => {
    const img = work[i] as Input;
    if (isBadInput(img)) return; // nothing to send: its failure is recorded when the run reaches it
    const plan = planImage(job, img, job.settings.model);
    const hit = await lookup(job, img, plan);
    if (hit) hits.set(i, hit);
    else sending.push(plan.estimate);
  });
  return { estimate: sumEstimates(sending, job.settings.currency), toSend: sending.length, hits };
}
