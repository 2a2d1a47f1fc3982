// Bounded concurrency: at most `limit` calls pending at once, items taken in order. The one pool of
// the tool (reading inputs, resizing, cache lookups, --each's workers): thousands of items must not
// become thousands of pending promises, open files or decoded images.

/** Calls `fn` for each index 0..count-1, at most `limit` at a time, in order of index. */
export async function forEachBounded(count: number, limit: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, count)) }, worker));
}

/** `items.map(fn)` with at most `limit` calls pending; the results in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachBounded(items.length, limit, async (i) => {
    out[i] = await fn(items[i] as T, i);
  });
  return out;
}
