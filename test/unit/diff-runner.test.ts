// The per-item runner as diff uses it: a settle that answers 'again' gets one more request of the
// same item (the one retry of an answer that fails its check), under the same pace, with the body
// the caller gives then; the other items are not disturbed.
import { describe, expect, it } from 'vitest';
import { emptyCompletion, type Completion } from '../../src/api/completion.js';
import { sleep } from '../../src/api/sleep.js';
import { Runner, type RunnerClient, type Settled } from '../../src/pace/runner.js';
import { planBody, type BodyPlan } from '../../src/request/body.js';

/** A client answering each request with its body's `tag`, and keeping what it was sent. */
function echoClient(): RunnerClient & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async chat(body) {
      let text = '';
      for await (const c of body.chunks()) text += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
      const tag = (JSON.parse(text) as { tag: string }).tag;
      sent.push(tag);
      return { ...emptyCompletion(), text: tag } satisfies Completion;
    },
  };
}

const plan = (tag: string): BodyPlan => planBody({ tag }, [{ role: 'user', content: 'x' }]);

// biome-ignore lint/suspicious/noConfusingVoidType: the runner's own settle type (pace/runner.ts)
function runner(client: RunnerClient, o: { count: number; concurrency: number; body: (i: number) => BodyPlan; settle: (i: number, s: Settled) => Promise<void | 'again'> }) {
  return new Runner({
    ...o,
    maxAttempts: 1,
    stream: false,
    client,
    clock: { monotonicMs: () => performance.now(), sleep },
    signal: new AbortController().signal,
    modelChosen: true,
    failFast: false,
    model: () => 'm',
    switchModel: async () => undefined,
  });
}

describe('Runner: settle asks for one more request', () => {
  it.each([1, 3])('-j %i: the item is sent again with the body it gives then, and settled twice', async (concurrency) => {
    const client = echoClient();
    const retried = new Set<number>();
    const settled: [number, string][] = [];
    await runner(client, {
      count: 3,
      concurrency,
      body: (i) => plan(retried.has(i) ? `retry-${i}` : `first-${i}`),
      settle: async (i, s) => {
        settled.push([i, s.ok ? s.completion.text : 'failed']);
        if (i === 1 && !retried.has(i)) {
          retried.add(i);
          return 'again';
        }
      },
    }).run();
    expect([...client.sent].sort()).toEqual(['first-0', 'first-1', 'first-2', 'retry-1']);
    expect(settled.filter(([i]) => i === 1).map(([, t]) => t)).toEqual(['first-1', 'retry-1']);
    expect(
      settled
        .filter(([i]) => i !== 1)
        .map(([i, t]) => `${i}:${t}`)
        .sort(),
    ).toEqual(['0:first-0', '2:first-2']);
  });

  it('without "again", one request an item (as --each runs)', async () => {
    const client = echoClient();
    await runner(client, { count: 4, concurrency: 2, body: (i) => plan(`first-${i}`), settle: async () => undefined }).run();
    expect(client.sent.sort()).toEqual(['first-0', 'first-1', 'first-2', 'first-3']);
  });
});
