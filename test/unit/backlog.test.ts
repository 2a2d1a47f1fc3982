// The backlog of a --each run: an image may start only within the window of the first result not
// yet out, and only while stdout has taken all but maxUnflushed of what was written.
import { describe, expect, it } from 'vitest';
import { Backlog } from '../../src/pace/backlog.js';

/** Whether `p` has settled by the time the microtasks and timers queued now have run. */
async function settled(p: Promise<void> | undefined): Promise<boolean> {
  if (p === undefined) return true;
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

const make = (window = 4, maxUnflushed = 100) => {
  const stop = new AbortController();
  return { b: new Backlog({ window, maxUnflushed, signal: stop.signal }), stop };
};

describe('Backlog', () => {
  it.each([
    [0, true],
    [3, true],
    [4, false],
    [100, false],
  ])('with nothing out yet and a window of 4, image %i may start at once: %s', async (index, now) => {
    expect(await settled(make().b.room(index))).toBe(now);
  });

  it('lets an image start once the results before its window are out', async () => {
    const { b } = make();
    const waiting = b.room(6);
    expect(await settled(waiting)).toBe(false);
    b.putOut(2);
    expect(await settled(waiting)).toBe(false);
    b.putOut(3);
    expect(await settled(waiting)).toBe(true);
  });

  it('holds new images while more than maxUnflushed bytes wait for stdout, and lets them go as it takes them', async () => {
    const { b } = make(1000, 100);
    const first = b.wrote(60);
    const second = b.wrote(60);
    const waiting = b.room(1);
    expect(await settled(waiting)).toBe(false);
    first();
    first(); // told twice: counted once
    expect(await settled(waiting)).toBe(true);
    expect(await settled(b.room(2))).toBe(true);
    second();
  });

  it('lets every waiter go when the run stops', async () => {
    const { b, stop } = make();
    const waiting = [b.room(10), b.room(20)];
    expect(await settled(waiting[0])).toBe(false);
    stop.abort();
    for (const w of waiting) expect(await settled(w)).toBe(true);
    expect(await settled(b.room(1000))).toBe(true);
  });
});
