// --shard i/n: a stable partition of the resolved inputs by path, the same on every machine, so a
// CI matrix of n jobs covers a folder with no overlap and nothing missed. Pure.
import { nodeCrypto } from '../lazy.js';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { BadInput } from './bad-input.js';
import type { Image } from './image.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count || !Number.isSafeInteger(count)) {
    throw new UsageError(`--shard ${spec} is not a shard: give i/n with 1 <= i <= n, e.g. --shard 2/4.`, 'In a CI matrix of n jobs, job i runs --shard i/n.');
  }
  return { index, count };
}

/**
 * The name a path is partitioned by: relative to cwd, with forward slashes, so it is the same on
 * every machine (and OS) that checks out the same tree. Stdin is "-".
 */
export function shardName(x: Pick<Image, 'path' | 'source'> | Pick<BadInput, 'path' | 'file'>, cwd: string): string {
  // A bad input (missing, unreadable) falls in the shard its file would: the same job reports it.
  const file = 'source' in x ? (x.source.kind === 'file' ? x.source.file : undefined) : x.file;
  if (file === undefined) return x.path;
  return path.relative(cwd, file).split(path.sep).join('/');
}

/** Which shard (1-based) a name belongs to among n: the first 48 bits of sha256(name) mod n. */
export function shardOf(name: string, count: number): number {
  const h = nodeCrypto().createHash('sha256').update(name, 'utf8').digest();
  return (h.readUIntBE(0, 6) % count) + 1;
}

export function inShard(name: string, shard: Shard): boolean {
  return shardOf(name, shard.count) === shard.index;
}
