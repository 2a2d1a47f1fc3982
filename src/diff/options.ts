// The flags of `kimi-vision diff`, checked together before anything is read or sent. Pure.
import { UsageError } from '../errors.js';
import { parseShard, type Shard } from '../inputs/shard.js';
import type { RequestOptions } from '../request/options.js';
import { cacheWanted } from '../store/answer-cache.js';
import { parseFailOn, type FailOn } from './fail-on.js';
import type { DiffFormat } from './formats.js';

export interface DiffFlags {
  expect?: string;
  failOn?: string;
  threshold?: number;
  describeNew?: boolean;
  concurrency?: number;
  rpm?: number;
  cache?: boolean;
  shard?: string;
  format?: string;
}

export interface DiffOptions extends RequestOptions, DiffFlags {}

/** As --each: requests in flight at most, unless -j says otherwise. */
const DEFAULT_CONCURRENCY = 4;

export interface DiffSettings {
  format: DiffFormat;
  failOn: FailOn;
  /** Percent of the canvas that may differ and still count as the same (default 0). */
  threshold: number;
  describeNew: boolean;
  concurrency: number;
  rpm: number | undefined;
  cache: boolean;
  shard: Shard | undefined;
}

/**
 * The settings of a diff run. `configFormat` is the config file's `format`: its `json` means
 * `jsonl` here (one JSON document per pair), as with --each; --format wins over it.
 */
export function diffSettings(o: DiffFlags, env: Record<string, string | undefined>, configFormat?: string): DiffSettings {
  const format = o.format ?? (configFormat === 'json' ? 'jsonl' : 'text');
  if (format !== 'text' && format !== 'jsonl' && format !== 'markdown') {
    throw new UsageError(`--format ${format}: diff prints text, jsonl or markdown.`, '--format jsonl prints one JSON record per pair.');
  }
  const threshold = o.threshold ?? 0;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
    throw new UsageError(
      `--threshold ${threshold}: give a percent of the pixels from 0 to 100.`,
      '--threshold 0.5 counts a pair with at most 0.5% of its pixels changed as the same.',
    );
  }
  return {
    format,
    failOn: parseFailOn(o.failOn),
    threshold,
    describeNew: o.describeNew === true,
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    rpm: o.rpm,
    cache: cacheWanted(o.cache, env),
    shard: o.shard !== undefined ? parseShard(o.shard) : undefined,
  };
}
