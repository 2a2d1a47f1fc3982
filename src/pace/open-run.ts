// The client and the runner of a run of many requests (describe --each, diff, alt), made one way:
// a client that makes one attempt (the runner retries, under the pace) and stops with the run, the
// user's -j, --rpm, --timeout, --max-attempts and --max-tokens, and the words of a retry on stderr.
import type { MoonshotClient } from '../api/client.js';
import { sleep } from '../api/sleep.js';
import { DEFAULT_MAX_ATTEMPTS } from '../api/retry.js';
import { terminalClient } from '../client/terminal-client.js';
import { formatSeconds } from '../format.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import type { Settings } from '../settings.js';
import { Runner, type RunnerOptions } from './runner.js';

export interface RunSettings {
  io: Io;
  term: Terminal;
  settings: Settings;
  o: { timeout?: number | undefined; maxAttempts?: number | undefined; maxTokens?: number | undefined; stream: boolean };
  s: { concurrency: number; rpm?: number | undefined };
}

/** What the caller says of its items: how many, their names (for messages), and the runner's callbacks. */
export type Items = Omit<RunnerOptions, 'concurrency' | 'rpm' | 'maxAttempts' | 'maxTokens' | 'stream' | 'client' | 'clock' | 'signal' | 'modelChosen' | 'onRetry'> & {
  name(i: number): string;
};

export function openRun(c: RunSettings, key: string, items: Items): { client: MoonshotClient; runner: Runner } {
  const { io, term, settings, o, s } = c;
  const stop = new AbortController();
  const client = terminalClient(settings.baseUrl, key, io, term, { timeout: o.timeout, maxAttempts: 1, signal: stop.signal });
  const runner = new Runner({
    ...items,
    concurrency: s.concurrency,
    rpm: s.rpm,
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    maxTokens: o.maxTokens,
    stream: o.stream,
    client,
    clock: { monotonicMs: io.monotonicMs, sleep },
    signal: io.signal,
    modelChosen: settings.modelChosen,
    onRetry: (i, x) => {
      if (!x.shared) term.warn(`${items.name(i)}: attempt ${x.attempt} failed (${x.error.message}); retrying in ${formatSeconds(x.delayMs)}…`);
      else if (x.paused) term.warn(`rate limited (${x.error.message}); every request waits ${formatSeconds(x.delayMs)}, concurrency now ${x.limit}.`);
    },
  });
  // The client stops with the run (Ctrl-C, --fail-fast, a failure that applies to every item).
  runner.signal.addEventListener('abort', () => stop.abort(runner.signal.reason), { once: true });
  return { client, runner };
}
