// The result of one pair: one JSONL line, and what the text and Markdown formats print. Fields in
// the documented order (JSON keeps insertion order); paths as the user gave them, null for the side
// an added or removed file does not have. Pure.
import type { Completion } from '../api/completion.js';
import { answerCost, recordError, usageOf, type RecordError } from '../results/record.js';
import type { Cost, Currency } from '../models.js';
import type { DiffAnswer, DiffChange } from './answer.js';
import type { Bbox } from './compare.js';
import type { PairEntry } from './pairs.js';
import type { LocalFacts } from './pixels.js';

export type DiffStatus = 'same' | 'changed' | 'added' | 'removed' | 'error';

export interface DiffRecord {
  before: string | null;
  after: string | null;
  status: DiffStatus;
  /** Percent of the canvas that differs (see pixels.ts); null when the pixels were not compared. */
  pixels_changed: number | null;
  bbox: Bbox | null;
  summary: string;
  changes: DiffChange[];
  as_expected: boolean | null;
  cached: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  cost: Cost;
  error: RecordError | null;
}

const sides = (e: PairEntry) => ({
  before: e.status === 'added' ? null : e.before.path,
  after: e.status === 'removed' ? null : e.after.path,
});

/** What every record without an answer shares: nothing said, nothing spent. */
function unanswered(e: PairEntry, status: DiffStatus, facts: LocalFacts | undefined, currency: Currency): DiffRecord {
  return {
    ...sides(e),
    status,
    pixels_changed: facts?.pixelsChanged ?? null,
    bbox: facts?.bbox ?? null,
    summary: '',
    changes: [],
    as_expected: null,
    cached: false,
    usage: usageOf(undefined),
    cost: { amount: 0, currency },
    error: null,
  };
}

/** A pair found the same locally (identical bytes or pixels, or within --threshold): nothing sent. */
export function sameRecord(e: PairEntry, facts: LocalFacts, currency: Currency): DiffRecord {
  return unanswered(e, 'same', facts, currency);
}

/** A file on one side only, not described (no --describe-new). */
export function onlyRecord(e: Extract<PairEntry, { status: 'added' | 'removed' }>, currency: Currency): DiffRecord {
  return unanswered(e, e.status, undefined, currency);
}

/**
 * A described pair: `changed` for a pair, or `added` / `removed` for a file described alone. The
 * status stays the local one: a model saying "changed": false does not make a changed pair same.
 */
export function answeredRecord(
  e: PairEntry,
  facts: LocalFacts | undefined,
  answer: DiffAnswer,
  c: Pick<Completion, 'model' | 'usage'>,
  o: { model: string; currency: Currency; cached: boolean },
): DiffRecord {
  return {
    ...sides(e),
    status: e.status === 'pair' ? 'changed' : e.status,
    pixels_changed: facts?.pixelsChanged ?? null,
    bbox: facts?.bbox ?? null,
    summary: answer.summary,
    changes: answer.changes,
    as_expected: answer.as_expected,
    cached: o.cached,
    usage: usageOf(c.usage),
    cost: o.cached ? { amount: 0, currency: o.currency } : answerCost(c, o.model, o.currency),
    error: null,
  };
}

/**
 * A pair that failed (request, answer check, unreadable file): the error with its exit code, zero
 * usage and cost, as a failed image of --each (what a failure spent is the run's totals' business).
 */
export function errorRecord(e: PairEntry, facts: LocalFacts | undefined, err: unknown, currency: Currency): DiffRecord {
  return { ...unanswered(e, 'error', facts, currency), error: recordError(err) };
}
