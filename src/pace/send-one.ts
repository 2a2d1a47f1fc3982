// One image's request under the shared pace: take a slot, send, and on failure decide (with the
// retry decisions of src/api/retry.ts) whether to try again. Rate limits are not waited out by
// this image alone: the pace pauses every worker and lowers the concurrency.
//
// The client is made with maxAttempts 1: its own loop would sleep while holding a slot and could
// not tell the other workers to slow down, so the one per-image retry loop is here.
import type { Body, ChatHandlers } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { nextStep, shouldRetry } from '../api/retry.js';
import { bodySource, type BodyPlan } from '../request/body.js';
import { ApiError, type KvError } from '../errors.js';
import type { Clock, LimitHint, Pace, Slot } from './pace.js';

/** Rate-limit answers are waited out up to this many times per image (other failures: --max-attempts). */
export const RATE_LIMIT_ATTEMPTS = 10;

export interface Chat {
  chat(body: Body, stream: boolean, handlers?: ChatHandlers): Promise<Completion>;
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
  /** Told of every failed attempt (final: no retry follows) while its slot is still held. */
  onFailure?: (err: unknown, final: boolean) => void;
  random?: () => number;
}

/** A 429 that waiting fixes (rate_limit_reached_error, engine_overloaded_error): the whole run slows down. */
function isSharedLimit(err: unknown): boolean {
  return err instanceof ApiError && err.status === 429 && shouldRetry(err);
}

/** The limits a rate-limit message names: "max organization concurrency: 2", "max RPM: 3". */
export function limitHint(err: unknown): LimitHint {
  if (!(err instanceof ApiError)) return {};
  const n = (re: RegExp) => {
    const m = re.exec(err.message);
    return m ? Number(m[1]) : undefined;
  };
  return { concurrency: n(/concurrency:?\s*(\d+)/i), rpm: n(/\bRPM:?\s*(\d+)/i) };
}

export interface Tries {
  /** Failed attempts other than rate limits. */
  attempts: number;
  rateLimited: number;
}

export type Step = { kind: 'retry'; delayMs: number; shared: boolean } | { kind: 'fail'; error: unknown };

/**
 * What to do after a failed attempt (counted in `tries` already): the client's decision
 * (api/retry.ts nextStep), with rate limits counted apart, on a budget of their own. Pure.
 */
export function afterFailure(err: unknown, tries: Tries, maxAttempts: number, random: () => number = Math.random): Step {
  const shared = isSharedLimit(err);
  const step = shared ? nextStep(err, tries.rateLimited, RATE_LIMIT_ATTEMPTS, random) : nextStep(err, tries.attempts, maxAttempts, random);
  return step.kind === 'fail' ? step : { ...step, shared };
}

/** The outcome of one image's requests, its slot still held: the caller releases it once the result is recorded. */
export type Sent = ({ ok: true; completion: Completion } | { ok: false; error: unknown }) & {
  attempts: number;
  /** When the first attempt started (the clock's time): the image's own time excludes its wait in the queue. */
  startedAt: number;
  slot: Slot;
};

/**
 * Sends one image's request until it succeeds or fails for good. The output is buffered by the
 * caller, so a stream cut mid-answer is retried from scratch (nothing of it was shown).
 * `body` is asked once a slot is granted (the model may have changed while this image waited); it
 * returns undefined when there is nothing to send any more, and so does sendOne. `first` is a slot
 * the caller was granted already, for the first attempt.
 * The final outcome comes back with its slot still held, so what follows from it (stopping the run,
 * holding it for a fallback) happens before anyone else can start. Throws Stopped (from the pace)
 * or the request's error only when the run was aborted.
 */
export async function sendOne(body: () => BodyPlan | undefined, priority: number, ctx: SendContext, first?: Slot): Promise<Sent | undefined> {
  const tries: Tries = { attempts: 0, rateLimited: 0 };
  let startedAt: number | undefined;
  let granted = first;
  for (;;) {
    const slot = granted ?? (await ctx.pace.acquire(priority));
    granted = undefined;
    startedAt ??= ctx.clock.monotonicMs();
    let step: Step;
    try {
      const plan = body();
      if (!plan) {
        slot.release();
        return undefined;
      }
      const completion = await ctx.client.chat(bodySource(plan), ctx.stream, { buffered: true });
      slot.succeeded();
      return { ok: true, completion, attempts: tries.attempts + tries.rateLimited + 1, startedAt, slot };
    } catch (err) {
      if (ctx.signal.aborted) {
        slot.release();
        throw err;
      }
      if (isSharedLimit(err)) tries.rateLimited += 1;
      else tries.attempts += 1;
      step = afterFailure(err, tries, ctx.maxAttempts, ctx.random);
      ctx.onFailure?.(step.kind === 'fail' ? step.error : err, step.kind === 'fail');
      if (step.kind === 'fail') return { ok: false, error: step.error, attempts: tries.attempts + tries.rateLimited, startedAt, slot };
      // Pause everyone before this slot frees, so no waiting worker slips a request in.
      const paused = step.shared ? ctx.pace.rateLimited(step.delayMs, limitHint(err)) : false;
      ctx.onRetry?.({ attempt: tries.attempts + tries.rateLimited, delayMs: step.delayMs, error: err as KvError, shared: step.shared, limit: ctx.pace.limit, paused });
      slot.release();
    }
    if (!step.shared) await ctx.clock.sleep(step.delayMs, ctx.signal);
  }
}
