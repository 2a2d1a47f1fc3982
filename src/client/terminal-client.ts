// The one way commands make a Moonshot client: debug lines and retry notes on the terminal, the
// user's --timeout and --max-attempts, aborted with the run.
import { MoonshotClient } from '../api/client.js';
import type { Io } from '../io.js';
import { formatSeconds } from '../format.js';
import type { Terminal } from '../output/terminal.js';

export interface ClientChoices {
  /** --timeout in seconds: headers and idle; connect at most 10 s. */
  timeout?: number | undefined;
  maxAttempts?: number | undefined;
  /** Defaults to the run's signal (Ctrl-C). */
  signal?: AbortSignal;
}

export function terminalClient(baseUrl: string, apiKey: string, io: Io, term: Terminal, c: ClientChoices = {}): MoonshotClient {
  return new MoonshotClient({
    baseUrl,
    apiKey,
    env: io.env,
    signal: c.signal ?? io.signal,
    ...(c.maxAttempts !== undefined ? { maxAttempts: c.maxAttempts } : {}),
    ...(c.timeout !== undefined ? { timeouts: { connectMs: Math.min(c.timeout * 1000, 10_000), headersMs: c.timeout * 1000, idleMs: c.timeout * 1000 } } : {}),
    debug: io.env.KIMI_VISION_DEBUG === '1' ? (line) => term.line(`debug: ${line}`, 'dim') : undefined,
    onRetry: ({ attempt, delayMs, error }) => term.warn(`attempt ${attempt} failed (${error.message}); retrying in ${formatSeconds(delayMs)}…`),
    monotonicMs: io.monotonicMs,
    epochMs: io.epochMs,
  });
}
