// The shared pace of --each on a fake clock: the in-flight ceiling, one pause for every worker on a
// rate limit, the limit lowered and raised again, --rpm spacing; and the per-image retry loop.
import { describe, expect, it } from 'vitest';
import type { Completion } from '../../src/api/completion.js';
import { ApiError, InputError, NetworkError } from '../../src/errors.js';
import { Pace, Stopped, type Clock } from '../../src/pace/pace.js';
import { afterFailure, limitHint, RATE_LIMIT_ATTEMPTS, sendOne, type Chat } from '../../src/pace/send-one.js';
import type { BodyPlan } from '../../src/request/body.js';

/** Time moves only when advance() says so; sleeps resolve in time order. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  monotonicMs = () => this.t;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      this.timers.push({ at: this.t + ms, resolve });
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function pace(concurrency: number, rpm?: number) {
  const clock = new FakeClock();
  const stop = new AbortController();
  return { clock, stop, pace: new Pace({ concurrency, rpm, clock, signal: stop.signal }) };
}

describe('Pace: the in-flight ceiling', () => {
  it('never lets more than n requests run, and keeps n busy while there is work', async () => {
    const { clock, pace: p } = pace(3);
    let running = 0;
    let peak = 0;
    const durations = [50, 10, 80, 30, 30, 5, 60, 20, 40, 10];
    const tasks = durations.map(async (ms, i) => {
      const slot = await p.acquire(i);
      running += 1;
      peak = Math.max(peak, running);
      await clock.sleep(ms);
      running -= 1;
      slot.release();
    });
    await clock.advance(1000);
    await Promise.all(tasks);
    expect(peak).toBe(3);
    expect(p.peak).toBe(3);
    expect(p.inFlight).toBe(0);
  });

  it('hands free slots to the lowest priority first (retries of early images jump the queue)', async () => {
    const { pace: p } = pace(1);
    const first = await p.acquire(0);
    const order: number[] = [];
    const tasks = [5, 2, 9, 1].map((prio) =>
      p.acquire(prio).then((slot) => {
        order.push(prio);
        slot.release();
      }),
    );
    first.release();
    await Promise.all(tasks);
    expect(order).toEqual([1, 2, 5, 9]);
  });

  it('rejects waiting and later acquires with Stopped once the run stops', async () => {
    const { stop, pace: p } = pace(1);
    await p.acquire();
    const waiting = p.acquire();
    stop.abort();
    await expect(waiting).rejects.toBeInstanceOf(Stopped);
    await expect(p.acquire()).rejects.toBeInstanceOf(Stopped);
  });
});

describe('Pace: rate limits slow the whole run', () => {
  it('pauses every worker for the time the API names, and halves the limit once per pause', async () => {
    const { clock, pace: p } = pace(4);
    const held = await Promise.all([p.acquire(), p.acquire(), p.acquire(), p.acquire()]);
    expect(p.rateLimited(1000)).toBe(true);
    expect(p.rateLimited(1000)).toBe(false); // a second 429 of the same burst: same pause, no second halving
    expect(p.limit).toBe(2);
    for (const slot of held) slot.release();
    const granted: number[] = [];
    const later = [0, 1, 2].map((i) => p.acquire(i).then((slot) => (granted.push(clock.monotonicMs()), slot)));
    await clock.advance(999);
    expect(granted).toEqual([]); // nobody starts during the pause
    await clock.advance(1);
    expect(granted).toEqual([1000, 1000]); // then only the lowered limit
    (await later[0]!).release();
    await settle();
    expect(granted).toEqual([1000, 1000, 1000]);
  });

  it('raises the limit by one after `limit` successes in a row of requests started since the pause, back up to -j', async () => {
    const { clock, pace: p } = pace(4);
    const before = await Promise.all([0, 1, 2, 3].map(() => p.acquire()));
    p.rateLimited(10);
    expect(p.limit).toBe(2);
    for (const slot of before) {
      slot.succeeded(); // started before the pause: says nothing about the lowered limit
      slot.release();
    }
    expect(p.limit).toBe(2);
    await clock.advance(10);
    const limits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const slot = await p.acquire();
      slot.succeeded();
      slot.release();
      limits.push(p.limit);
    }
    expect(limits).toEqual([2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4]);
  });

  it('never raises the limit above a concurrency the API named', async () => {
    const { clock, pace: p } = pace(8);
    const held = await Promise.all([0, 1, 2, 3].map(() => p.acquire()));
    p.rateLimited(10, { concurrency: 3 });
    expect(p.limit).toBe(3);
    for (const slot of held) slot.release();
    await clock.advance(10);
    for (let i = 0; i < 20; i++) {
      const slot = await p.acquire();
      slot.succeeded();
      slot.release();
    }
    expect(p.limit).toBe(3);
  });

  it('spaces starts by an RPM the API named', async () => {
    const { clock, pace: p } = pace(4);
    (await p.acquire()).release();
    p.rateLimited(0, { rpm: 120 });
    const starts: number[] = [];
    const tasks = [0, 1, 2].map(() => p.acquire().then((slot) => (starts.push(clock.monotonicMs()), slot.release())));
    await clock.advance(2000);
    await Promise.all(tasks);
    expect(starts).toEqual([500, 1000, 1500]); // the last start was at 0
  });

  it('never lowers the limit below 1, and a later pause halves again', async () => {
    const { clock, pace: p } = pace(2);
    p.rateLimited(100);
    expect(p.limit).toBe(1);
    await clock.advance(100);
    expect(p.rateLimited(100)).toBe(true);
    expect(p.limit).toBe(1);
  });
});

describe('Pace: hold', () => {
  it('starts nothing until held work settles', async () => {
    const { pace: p } = pace(4);
    let settleWork!: () => void;
    p.hold(new Promise<void>((r) => (settleWork = r)));
    let granted = 0;
    const waiting = p.acquire().then((slot) => (granted++, slot));
    await settle();
    expect(granted).toBe(0);
    settleWork();
    await waiting;
    expect(granted).toBe(1);
  });
});

describe('Pace: --rpm', () => {
  it('spaces request starts 60,000 / rpm ms apart, whatever the concurrency', async () => {
    const { clock, pace: p } = pace(8, 60);
    const starts: number[] = [];
    const tasks = [0, 1, 2, 3].map((i) => p.acquire(i).then((slot) => (starts.push(clock.monotonicMs()), slot.release())));
    await clock.advance(5000);
    await Promise.all(tasks);
    expect(starts).toEqual([0, 1000, 2000, 3000]);
  });
});

const api = (status: number, type: string, message = 'x') => new ApiError({ status, type, message });
const rate = () => api(429, 'rate_limit_reached_error', 'max RPM: 3, please try again after 2 seconds');
const noJitter = () => 0;

describe('afterFailure: the retry decisions of src/api/retry.ts, per image', () => {
  it.each([
    ['a rate limit waits the time named, for everyone', rate(), { attempts: 0, rateLimited: 1 }, { kind: 'retry', delayMs: 2000, shared: true }],
    ['a server error backs off for this image only', api(500, 'server_error'), { attempts: 1, rateLimited: 0 }, { kind: 'retry', delayMs: 500, shared: false }],
    ['a refused request fails', api(400, 'content_filter'), { attempts: 1, rateLimited: 0 }, { kind: 'fail' }],
    ['an exhausted balance fails', api(429, 'exceeded_current_quota_error'), { attempts: 1, rateLimited: 0 }, { kind: 'fail' }],
    ['a bad input fails', new InputError('x'), { attempts: 1, rateLimited: 0 }, { kind: 'fail' }],
    ['attempts run out', api(503, 'server_error'), { attempts: 3, rateLimited: 0 }, { kind: 'fail' }],
    ['rate limits have their own budget', rate(), { attempts: 2, rateLimited: RATE_LIMIT_ATTEMPTS - 1 }, { kind: 'retry', shared: true }],
    ['... which runs out too', rate(), { attempts: 0, rateLimited: RATE_LIMIT_ATTEMPTS }, { kind: 'fail' }],
  ] as const)('%s', (_name, err, tries, expected) => {
    expect(afterFailure(err, { ...tries }, 3, noJitter)).toMatchObject(expected);
  });

  it('refuses to wait longer than the client would, and says so', () => {
    const step = afterFailure(api(429, 'rate_limit_reached_error', 'please try again after 600 seconds'), { attempts: 0, rateLimited: 1 }, 3);
    expect(step.kind).toBe('fail');
    expect((step as { error: Error }).error.message).toMatch(/asks to wait 600 s; not waiting that long/);
  });
});

const BODY: BodyPlan = { segments: [], bytes: 0 };
const done = (text: string): Completion => ({ id: 'x', model: 'm', text, reasoning: '', finishReason: 'stop', usage: undefined, toolCalls: [] });

/** A client that answers from a script, one entry per call, each after `ms` of fake time. */
function scripted(clock: FakeClock, script: (Error | string)[], ms = 10) {
  const calls: { at: number; buffered: boolean | undefined }[] = [];
  const client: Chat = {
    chat: async (_body, _stream, handlers) => {
      calls.push({ at: clock.monotonicMs(), buffered: handlers?.buffered });
      const next = script.shift();
      await clock.sleep(ms);
      if (next instanceof Error) throw next;
      return done(next ?? 'default');
    },
  };
  return { client, calls };
}

describe('sendOne', () => {
  it('retries a rate-limited image after the pause every worker waits, and asks the client to buffer', async () => {
    const { clock, stop, pace: p } = pace(2);
    const { client, calls } = scripted(clock, [rate(), 'ok']);
    const retries: unknown[] = [];
    const sent = sendOne(() => BODY, 0, { client, pace: p, clock, signal: stop.signal, stream: true, maxAttempts: 3, onRetry: (x) => retries.push(x) });
    await clock.advance(30_000);
    const r = await sent;
    expect(r).toMatchObject({ ok: true, completion: { text: 'ok' }, attempts: 2 });
    // Failed at 10 ms asking for 2 s; the message names max RPM 3, so starts are now 20 s apart.
    expect(calls.map((c) => c.at)).toEqual([0, 20_000]);
    expect(calls.every((c) => c.buffered === true)).toBe(true);
    expect(retries).toMatchObject([{ shared: true, paused: true, limit: 1, delayMs: 2000 }]);
  });

  it('reads the limits a rate-limit message names', () => {
    expect(limitHint(api(429, 'rate_limit_reached_error', 'Your account org-1<ak-1> request reached max organization concurrency: 2, please try again after 1 seconds'))).toEqual({
      concurrency: 2,
      rpm: undefined,
    });
    expect(limitHint(api(429, 'rate_limit_reached_error', 'Your account org-1<ak-1> request reached organization max RPM: 3, please try again after 20 seconds'))).toEqual({
      concurrency: undefined,
      rpm: 3,
    });
    expect(limitHint(new InputError('x'))).toEqual({});
  });

  it('retries a stream cut mid-answer from scratch (the answer was buffered, nothing was shown)', async () => {
    const { clock, stop, pace: p } = pace(1);
    const cut = new NetworkError('ECONNRESET', 'the connection was closed unexpectedly.');
    const { client, calls } = scripted(clock, [cut, 'whole answer']);
    const sent = sendOne(() => BODY, 0, { client, pace: p, clock, signal: stop.signal, stream: true, maxAttempts: 3, random: noJitter });
    await clock.advance(5000);
    const r = await sent;
    expect(r).toMatchObject({ ok: true, completion: { text: 'whole answer' } });
    expect(calls).toHaveLength(2);
    r?.slot.release();
    expect(p.inFlight).toBe(0);
  });

  it('gives up after --max-attempts, frees its slot while it backs off, and returns the failure with its slot held', async () => {
    const { clock, stop, pace: p } = pace(1);
    const { client, calls } = scripted(clock, [api(500, 'server_error'), api(500, 'server_error')]);
    const finals: boolean[] = [];
    const sent = sendOne(() => BODY, 0, {
      client,
      pace: p,
      clock,
      signal: stop.signal,
      stream: true,
      maxAttempts: 2,
      random: noJitter,
      onFailure: (_e, final) => finals.push(final),
    });
    await clock.advance(100);
    expect(p.inFlight).toBe(0); // backing off: the slot is free for other images
    await clock.advance(5000);
    const r = await sent;
    expect(r).toMatchObject({ ok: false, attempts: 2 });
    expect(r?.ok === false && r.error).toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(2);
    expect(finals).toEqual([false, true]);
    expect(p.inFlight).toBe(1); // held until the caller has recorded the result
    r?.slot.release();
    expect(p.inFlight).toBe(0);
  });

  it('asks for the body only once a slot is granted, and sends nothing when there is none any more', async () => {
    const { clock, stop, pace: p } = pace(1);
    const { client, calls } = scripted(clock, []);
    let asked = 0;
    const held = await p.acquire();
    const sent = sendOne(() => (asked++, undefined), 0, { client, pace: p, clock, signal: stop.signal, stream: true, maxAttempts: 3 });
    await settle();
    expect(asked).toBe(0);
    held.release();
    expect(await sent).toBeUndefined();
    expect(asked).toBe(1);
    expect(calls).toHaveLength(0);
    expect(p.inFlight).toBe(0);
  });

  it('throws once the run is stopped, its slot released', async () => {
    const { clock, stop, pace: p } = pace(1);
    const client: Chat = { chat: (_b, _s) => new Promise((_r, reject) => stop.signal.addEventListener('abort', () => reject(new NetworkError('interrupted', 'interrupted')))) };
    const sent = sendOne(() => BODY, 0, { client, pace: p, clock, signal: stop.signal, stream: true, maxAttempts: 3 });
    await settle();
    stop.abort();
    await expect(sent).rejects.toBeInstanceOf(NetworkError);
    expect(p.inFlight).toBe(0);
  });
});
