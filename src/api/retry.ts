// Retry decisions, pure and table-tested; the one loop that uses them is in client.ts.
import { ApiError, KvError, NetworkError } from '../errors.js';

export const DEFAULT_MAX_ATTEMPTS = 3;
/** A wait the server asks for beyond this is not slept through: the run gives up and says so. */
const MAX_RETRY_WAIT_MS = 60_000;

const RETRYABLE_429 = new Set(['rate_limit_reached_error', 'engine_overloaded_error']);

/** Whether an error is worth another attempt (before any answer text was shown). */
export function shouldRetry(err: unknown): boolean {
  if (err instanceof ApiError) {
    if (err.type === 'exceeded_current_quota_error') return false;
    if (err.status === 429) return RETRYABLE_429.has(err.type) || err.type === '';
    return err.status >= 500 || err.status === 408;
  }
  if (err instanceof NetworkError) return err.retryable && !err.partial;
  return false;
}

/** Parses a Retry-After header (seconds, or an HTTP date compared with the wall clock `epochMs`) into ms. */
export function parseRetryAfter(header: string | undefined, epochMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - epochMs);
}

/** Moonshot's rate-limit messages end "... please try again after 3 seconds". */
export function parseAfterSeconds(message: string): number | undefined {
  const m = /after\s+(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)/i.exec(message);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1).
 * Retry-After, else "after N seconds", else min(0.5 * 2^(attempt-1), 8) s with up to 25% jitter.
 */
export function retryDelay(attempt: number, err: unknown, random: () => number = Math.random): number {
  const asked = err instanceof ApiError ? (err.retryAfterMs ?? parseAfterSeconds(err.message)) : undefined;
  if (asked !== undefined) return asked;
  const base = Math.min(500 * 2 ** (attempt - 1), 8000);
  return Math.round(base * (1 - 0.25 * random()));
}

export type Step = { kind: 'retry'; delayMs: number } | { kind: 'fail'; error: unknown };

/**
 * The one decision after a failed attempt, for the client's loop and for --each's per-image loop:
 * `used` failed attempts so far (counting this one) of at most `maxAttempts`. Gives up on what a
 * retry cannot fix, on the last attempt (a network failure then says how many there were), and on a
 * wait above MAX_RETRY_WAIT_MS (saying so); else the wait before the next attempt.
 */
export function nextStep(err: unknown, used: number, maxAttempts: number, random: () => number = Math.random): Step {
  if (!shouldRetry(err)) return { kind: 'fail', error: err };
  if (used >= maxAttempts) return { kind: 'fail', error: afterAttempts(err, used) };
  const delayMs = retryDelay(used, err, random);
  if (delayMs > MAX_RETRY_WAIT_MS) {
    const e = err as KvError;
    return { kind: 'fail', error: new KvError(e.exitCode, `${e.message} (the API asks to wait ${Math.round(delayMs / 1000)} s; not waiting that long).`, 'Try again later.') };
  }
  return { kind: 'retry', delayMs };
}

/** A transport failure that outlasted its retries says how many attempts it had. */
function afterAttempts(err: unknown, attempts: number): unknown {
  if (!(err instanceof NetworkError) || attempts < 2) return err;
  return new NetworkError(err.code, `${err.message.replace(/\.$/, '')} (after ${attempts} attempts).`, err.hint, err.partial, err.retryable);
}
