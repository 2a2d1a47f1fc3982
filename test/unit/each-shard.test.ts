// --shard i/n: a partition (disjoint, complete), the same on every machine, and strict parsing.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { inShard, parseShard, shardName, shardOf } from '../../src/inputs/shard.js';

const names = Array.from({ length: 500 }, (_, i) => `docs/screens/${i % 7 === 0 ? 'sub dir/' : ''}shot-${i}.png`);

describe('shards', () => {
  it.each([1, 2, 3, 4, 7, 16])('split %i ways: every path in exactly one shard', (n) => {
    const seen = new Map<string, number>();
    for (let i = 1; i <= n; i++) {
      for (const name of names.filter((x) => inShard(x, { index: i, count: n }))) {
        expect(seen.has(name)).toBe(false);
        seen.set(name, i);
      }
    }
    expect(seen.size).toBe(names.length);
  });

  it('spreads a folder over the shards roughly evenly', () => {
    const sizes = [1, 2, 3, 4].map((i) => names.filter((x) => inShard(x, { index: i, count: 4 })).length);
    for (const size of sizes) expect(size).toBeGreaterThan(names.length / 4 / 1.5);
  });

  it('is stable: a fixed function of the path (sha256), not of the machine, run or order', () => {
    // Pinned values: changing the partition would split CI matrices differently mid-migration.
    expect(['a.png', 'b.png', 'c.png', 'j.png', 'docs/x y.png'].map((n) => shardOf(n, 4))).toEqual([4, 3, 2, 1, 4]);
    expect(shardOf('fixtures/small.png', 1)).toBe(1);
  });

  it('names a file by its path relative to cwd with forward slashes; stdin is "-"', () => {
    const cwd = path.resolve('/repo');
    expect(shardName({ path: './docs/a.png', source: { kind: 'file', file: path.join(cwd, 'docs', 'a.png') } }, cwd)).toBe('docs/a.png');
    expect(shardName({ path: '-', source: { kind: 'memory', data: new Uint8Array() } }, cwd)).toBe('-');
  });

  it.each(['1/4', '4/4', ' 2 / 3 '])('parses %j', (spec) => {
    const s = parseShard(spec);
    expect(s.index).toBeGreaterThanOrEqual(1);
    expect(s.index).toBeLessThanOrEqual(s.count);
  });

  it.each(['0/4', '5/4', '1/0', '1', '1/2/3', 'a/b', '-1/4', '1.5/4', ''])('refuses %j with a usage error (exit 2)', (spec) => {
    expect(() => parseShard(spec)).toThrow(UsageError);
  });
});
