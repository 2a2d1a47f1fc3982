// One image's request under the shared pace: take a slot, send, and on failure decide (with the
// retry decisions of src/api/retry.ts) whether to try again. Rate limits are not waited out by
// this image alone: the pace pauses every worker and lowers the concurrency.
//
// The client is made with maxAttempts 1: its own loop would sleep while holding a slot and could
// not tell the other workers to slow down, so the one per-image retry loop is here.
import type { ChatHandlers } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { MAX_RETRY_WAIT_MS, retryDelay, shouldRetry } from '../api/retry.js';
import type { BodyPlan } from '../request/body.js';
import { ApiError, KvError } from '../errors.js';
import type { Clock, Pace } from './scheduler.js';

/** Rate-limit answers are waited out up to this many times per image (other failures: --max-attempts). */
export const RATE_LIMIT_ATTEMPTS = 10;

export interface Chat {
  chat(plan: BodyPlan, stream: boolean, handlers?: ChatHandlers): Promise<Completion>;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: KvError;
  /** True when every worker waits (a rate limit), false when only this image does. */
  shared: boolean;
  /** The live concurrency limit after this failure. */
  limit: number;
  /** True when this failure began a pause of every worker (and lowered the limit). */
  paused: boolean;
}

export interface SendContext {
  client: Chat;
  pace: Pace;
  clock: Clock;
  signal: AbortSignal;
  stream: boolean;
  maxAttempts: number;
  onRetry?: (info: RetryInfo) => void;
  random?: () => number;
}

/** A 429 that waiting fixes (rate_limit_reached_error, engine_overloaded_error): the whole run slows down. */
export function isSharedLimit(err: unknown): boolean {
  return err instanceof ApiError && err.status === 429 && shouldRetry(err);
}

export interface Tries {
  /** Failed attempts other than rate limits. */
  attempts: number;
  rateLimited: number;
}

export type Step = { kind: 'retry'; delayMs: number; shared: boolean } | { kind: 'fail'; error: unknown };

/** What to do after a failed attempt (counted in `tries` already). Pure. */
export function afterFailure(err: unknown, tries: Tries, maxAttempts: number, random: () => number = Math.random): Step {
  if (!shouldRetry(err)) return { kind: 'fail', error: err };
  const shared = isSharedLimit(err);
  const used = shared ? tries.rateLimited : tries.attempts;
  if (used >= (shared ? RATE_LIMIT_ATTEMPTS : maxAttempts)) return { kind: 'fail', error: err };
  const delayMs = retryDelay(used, err, random);
  if (delayMs > MAX_RETRY_WAIT_MS) {
    const e = err as KvError;
    return { kind: 'fail', error: new KvError(e.exitCode, `${e.message} (the API asks to wait ${Math.round(delayMs / 1000)} s; not waiting that long).`, 'Try again later.') };
  }
  return { kind: 'retry', delayMs, shared };
}

/**
 * Sends one image's request until it succeeds or fails for good. The output is buffered by the
 * caller, so a stream cut mid-answer is retried from scratch (nothing of it was shown).
 * Throws Stopped (from the pace) or the request's error once the run is aborted.
 */
export async function sendOne(body: BodyPlan, priority: number, ctx: SendContext): Promise<{ completion: Completion; attempts: number }> {
  const tries: Tries = { attempts: 0, rateLimited: 0 };
  for (;;) {
    const release = await ctx.pace.acquire(priority);
    let step: Step;
    try {
      const completion = await ctx.client.chat(body, ctx.stream, { buffered: true });
      ctx.pace.succeeded();
      return { completion, attempts: tries.attempts + tries.rateLimited + 1 };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (isSharedLimit(err)) tries.rateLimited += 1;
      else tries.attempts += 1;
      step = afterFailure(err, tries, ctx.maxAttempts, ctx.random);
      // Pause everyone before this slot frees, so no waiting worker slips a request in.
      const paused = step.kind === 'retry' && step.shared ? ctx.pace.rateLimited(step.delayMs) : false;
      if (step.kind === 'retry') {
        ctx.onRetry?.({ attempt: tries.attempts + tries.rateLimited, delayMs: step.delayMs, error: err as KvError, shared: step.shared, limit: ctx.pace.limit, paused });
      }
    } finally {
      release();
    }
    if (step.kind === 'fail') throw step.error;
    if (!step.shared) await ctx.clock.sleep(step.delayMs, ctx.signal);
  }
}
