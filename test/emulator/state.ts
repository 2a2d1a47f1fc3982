// The emulator's mutable state, shared by the routes, and the per-request context they receive.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { RandomFailures, type RpmWindow } from './faults.js';
import type { FileStore } from './files.js';
import type { BatchStore } from './batches.js';
import type { ReasoningMemory } from './reasoning.js';
import type { EmulatorOptions, Fault, LoggedRequest } from './types.js';

export interface State {
  opts: EmulatorOptions;
  requests: LoggedRequest[];
  faults: Fault[];
  inFlight: number;
  peakInFlight: number;
  /** Chat requests accepted past the rate limits and not yet finished. */
  answering: number;
  rpm: RpmWindow;
  random: RandomFailures | undefined;
  /** Prompts seen before: a repeat reports its prompt tokens as cached. */
  prompts: Set<string>;
  files: FileStore;
  batches: BatchStore;
  /** Reasoning emitted so far; kept across reset() (the service's memory, not a test's log). */
  reasoning: ReasoningMemory;
  /** Aborted by close(): every wait and stall ends. */
  closing: AbortController;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  log: LoggedRequest;
  state: State;
  /** Path without query string. */
  path: string;
}

export function randomFor(opts: EmulatorOptions): RandomFailures | undefined {
  return opts.randomFailures ? new RandomFailures(opts.randomFailures.seed) : undefined;
}

/** Where relative `replay` file names are looked up. */
export function capturesDir(opts: EmulatorOptions): string {
  if (opts.capturesDir) return opts.capturesDir;
  const fromEnv = process.env.KIMI_CAPTURES_DIR;
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL('../../fixtures/moonshot-captures', import.meta.url));
}

/** Resolves when the response is finished, the client has gone, or the emulator closes. */
export function untilGone(c: Ctx): Promise<void> {
  return new Promise((resolve) => {
    if (c.res.destroyed || c.state.closing.signal.aborted) {
      resolve();
      return;
    }
    c.res.once('close', () => resolve());
    c.state.closing.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
