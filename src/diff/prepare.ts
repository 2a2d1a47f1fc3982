// Before a diff run sends anything: which pairs are this run's (the shard), what the local
// comparison says of each (same pairs are settled here, for nothing), and what the rest would cost
// (each planned once for its estimate and its cache lookup, then dropped: it is planned again when
// its turn comes, so thousands of waiting pairs hold no plan).
import { forEachBounded, mapBounded } from '../concurrency.js';
import { sumEstimates, type Estimate } from '../estimate/estimate.js';
import { formatInt, plural } from '../format.js';
import type { Image } from '../inputs/image.js';
import { ensureHashed } from '../inputs/read.js';
import { inShard } from '../inputs/shard.js';
import type { Terminal } from '../output/terminal.js';
import { lookupItem, planItem, type DiffHit, type DiffItem, type DiffJob, type SendItem } from './job.js';
import type { DiffSettings } from './options.js';
import type { PairEntry } from './pairs.js';
import { openComparer } from './pixels.js';

/** Pairs compared at once: hashing overlaps, while the decoding itself is one pair at a time (pixels.ts). */
const COMPARE_PARALLEL = 4;
/** Cache lookups at once: thousands of files must not exhaust the open-file limit. */
const LOOKUP_PARALLEL = 32;

/** The entries of this shard (by the pair's name: the same on every machine that has the same tree). */
export function selectShard(entries: readonly PairEntry[], s: DiffSettings, term: Terminal): PairEntry[] {
  const shard = s.shard;
  if (!shard) return [...entries];
  const mine = entries.filter((e) => inShard(e.name, shard));
  term.note(`shard ${shard.index}/${shard.count}: ${formatInt(mine.length)} of ${plural(entries.length, 'pair')}`);
  return mine;
}

/** Each entry compared locally, in order; sharp is loaded only when there is a pair to compare. */
export async function compareEntries(job: DiffJob, entries: readonly PairEntry[]): Promise<DiffItem[]> {
  const { term, s, io } = job;
  const pairs = entries.filter((e) => e.status === 'pair').length;
  const comparer = pairs > 0 ? await openComparer({ threshold: s.threshold }, io.env) : undefined;
  if (comparer?.note) s.threshold > 0 ? term.warn(comparer.note) : term.note(comparer.note);
  let compared = 0;
  if (pairs > 0) await term.startProgress(`comparing ${plural(pairs, 'pair')}…`);
  try {
    return await mapBounded(entries, COMPARE_PARALLEL, async (entry): Promise<DiffItem> => {
      if (entry.status !== 'pair') {
        if (!s.describeNew) return { kind: 'only', entry };
        const image = entry.status === 'added' ? entry.after : entry.before;
        return { kind: 'send', entry, facts: undefined, images: [await hashed(image)] };
      }
      const facts = await (comparer as NonNullable<typeof comparer>).compare(entry.before, entry.after);
      if (facts.note) term.warn(facts.note);
      term.setSpinnerText(`comparing pairs: ${formatInt(++compared)}/${formatInt(pairs)}…`);
      if (facts.status === 'same') return { kind: 'same', entry, facts };
      return { kind: 'send', entry, facts, images: [await hashed(entry.before), await hashed(entry.after)] };
    });
  } finally {
    term.stopSpinner();
  }
}

/** The image with its sha256 filled in: a new value (hashed once, whoever asked first). */
async function hashed(img: Image): Promise<Image> {
  return img.sha256 ? img : { ...img, sha256: await ensureHashed(img) };
}

export interface Survey {
  /** The sum of the estimates of the items to send (not cached). */
  estimate: Estimate;
  toSend: number;
  /** Answers the cache has, by item index. */
  hits: Map<number, DiffHit>;
  /** The estimate of each item to send, by index, for the dry run. */
  estimates: Map<number, Estimate>;
}

export async function surveyItems(job: DiffJob, items: readonly DiffItem[]): Promise<Survey> {
  const hits = new Map<number, DiffHit>();
  const estimates = new Map<number, Estimate>();
  await forEachBounded(items.length, LOOKUP_PARALLEL, async (i) => {
    const item = items[i] as DiffItem;
    if (item.kind !== 'send') return;
    const plan = planItem(job, item, job.settings.model);
    const hit = await lookupItem(job, item, plan);
    if (hit) hits.set(i, hit);
    else estimates.set(i, plan.estimate);
  });
  // Summed in item order, whatever order the lookups finished in.
  const sending = [...estimates.entries()].sort(([a], [b]) => a - b).map(([, e]) => e);
  return { estimate: sumEstimates(sending, job.settings.currency), toSend: sending.length, hits, estimates };
}

/** The send items still to answer: what another model would have to send. */
export function sendItems(items: readonly DiffItem[], pending: (i: number) => boolean): { item: SendItem; i: number }[] {
  return items.flatMap((item, i) => (item.kind === 'send' && pending(i) ? [{ item, i }] : []));
}
