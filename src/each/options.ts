// The flags of per-image mode (describe --each): checked together, before anything is read or sent.
import { UsageError } from '../errors.js';
import { cacheWanted } from '../store/answer-cache.js';
import type { EachFormat } from '../results/formats.js';
import { parseShard, type Shard } from '../inputs/shard.js';
import type { SidecarExt } from '../results/sidecar.js';

export interface EachFlags {
  each?: boolean;
  concurrency?: number;
  rpm?: number;
  write?: SidecarExt;
  skipExisting?: boolean;
  maxChars?: number;
  failFast?: boolean;
  cache?: boolean;
  shard?: string;
}

/** Flags of describe that have no meaning per image (a conversation, tools, interleaved thinking). */
interface OtherFlags {
  format?: string | undefined;
  dryRun?: boolean | undefined;
  continue?: boolean | undefined;
  session?: string | undefined;
  toolResult?: string[] | undefined;
  tools?: string | undefined;
  toolChoice?: string | undefined;
  showThinking?: boolean | undefined;
  upload?: boolean | undefined;
  exact?: boolean | undefined;
}

const DEFAULT_CONCURRENCY = 4;

export interface EachSettings {
  /** `json` only with --dry-run. */
  format: EachFormat | 'json';
  concurrency: number;
  rpm: number | undefined;
  write: SidecarExt | undefined;
  skipExisting: boolean;
  maxChars: number | undefined;
  failFast: boolean;
  cache: boolean;
  shard: Shard | undefined;
}

/**
 * The settings of a --each run. `configFormat` is the config file's `format`: its `json` means
 * `jsonl` here (one JSON document per image); --format wins over it.
 */
export function eachSettings(o: EachFlags & OtherFlags, env: Record<string, string | undefined>, configFormat?: string): EachSettings {
  const refused = [
    o.continue && '--continue',
    o.session !== undefined && '--session',
    o.toolResult?.length && '--tool-result',
    o.tools !== undefined && '--tools',
    o.toolChoice !== undefined && '--tool-choice',
    o.showThinking && '--show-thinking',
    o.upload && '--upload',
    o.exact && '--exact',
  ].filter((x): x is string => typeof x === 'string');
  if (refused.length > 0) {
    throw new UsageError(
      `${refused.join(', ')} cannot be combined with --each.`,
      '--each sends one fresh request per image; drop --each for a conversation, tools or shown thinking.',
    );
  }
  const format = o.format ?? (configFormat === 'json' ? 'jsonl' : 'text');
  if (format === 'json' && !o.dryRun) {
    throw new UsageError(
      '--format json prints one document; with --each use --format jsonl (one JSON line per image).',
      '--format json works with --each --dry-run (the per-image estimates).',
    );
  }
  if (o.skipExisting && !o.write) throw new UsageError('--skip-existing needs --write <ext>: it skips images that already have that sidecar.');
  return {
    format: format === 'json' || format === 'jsonl' || format === 'markdown' ? format : 'text',
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    rpm: o.rpm,
    write: o.write,
    skipExisting: o.skipExisting === true,
    maxChars: o.maxChars,
    failFast: o.failFast === true,
    cache: cacheWanted(o.cache, env),
    shard: o.shard !== undefined ? parseShard(o.shard) : undefined,
  };
}

/** Without --each: the per-image flags are a mistake worth saying (KIMI_VISION_CACHE alone is not). */
export function refuseEachOnly(o: EachFlags & { format?: string | undefined }): void {
  const used = [
    (o.format === 'jsonl' || o.format === 'markdown') && `--format ${o.format}`,
    o.concurrency !== undefined && '--concurrency',
    o.rpm !== undefined && '--rpm',
    o.write !== undefined && '--write',
    o.skipExisting && '--skip-existing',
    o.maxChars !== undefined && '--max-chars',
    o.failFast && '--fail-fast',
    o.cache && '--cache',
    o.shard !== undefined && '--shard',
  ].filter((x): x is string => typeof x === 'string');
  if (used.length === 0) return;
  throw new UsageError(
    `${used.join(', ')} ${used.length === 1 ? 'works' : 'work'} only with --each (one request per image).`,
    'Add --each to describe each image on its own, or drop the flag.',
  );
}
