// Failures on purpose: seeded random ones, rate limits, and the Retry-After decision.

import { ApiError } from './respond.js';

/** mulberry32: a small seeded PRNG, so "random" failures repeat run after run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const RETRYABLE: readonly (() => ApiError)[] = [
  () => new ApiError(429, 'engine_overloaded_error', 'The engine is currently overloaded, please try again later'),
  () => new ApiError(500, 'server_error', 'Internal server error, please try again later'),
  () => new ApiError(503, 'server_error', 'Service temporarily unavailable, please try again later'),
];

export class RandomFailures {
  private readonly next: () => number;
  private retryables = 0;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** The failure this request meets, if any. */
  draw(retryable: number, fatal: number): ApiError | undefined {
    const r = this.next();
    if (r < retryable) {
      const make = RETRYABLE[this.retryables % RETRYABLE.length];
      this.retryables += 1;
      return make?.();
    }
    if (r < retryable + fatal) {
      return new ApiError(400, 'content_filter', 'The request was rejected because it was considered high risk');
    }
    return undefined;
  }
}

const WINDOW_MS = 60_000;

/** Requests per minute over a sliding window. */
export class RpmWindow {
  private stamps: number[] = [];

  /** Seconds until a slot frees (at least 1) when full; else records `now` and returns 0. */
  take(limit: number, now: number): number {
    this.stamps = this.stamps.filter((t) => t > now - WINDOW_MS);
    if (this.stamps.length < limit) {
      this.stamps.push(now);
      return 0;
    }
    const oldest = this.stamps[this.stamps.length - limit] ?? now;
    return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
  }

  clear(): void {
    this.stamps = [];
  }
}

/** Who the messages name, as the service does: org-<32 hex> and <ak-...>. */
export interface Account {
  org: string;
  ak: string;
}

// Wording as reported from the live service (GitHub issues of Moonshot API users, 2025-2026).
export function rpmError(a: Account, limit: number, seconds: number): ApiError {
  return new ApiError(429, 'rate_limit_reached_error', `Your account ${a.org}<${a.ak}> request reached organization max RPM: ${limit}, please try again after ${seconds} seconds`);
}

export function concurrencyError(a: Account, limit: number): ApiError {
  return new ApiError(429, 'rate_limit_reached_error', `Your account ${a.org}<${a.ak}> request reached max organization concurrency: ${limit}, please try again after 1 seconds`);
}

export function quotaError(a: Account): ApiError {
  return new ApiError(
    429,
    'exceeded_current_quota_error',
    `Your account ${a.org} <${a.ak}> is suspended due to insufficient balance, please recharge your account or check your plan and billing details`,
  );
}

/** An IMF-fixdate (RFC 9110) at least `seconds` ahead of `now`: whole seconds, rounded up. */
export function httpDateAhead(seconds: number, now: number): string {
  return new Date(Math.ceil(now / 1000) * 1000 + seconds * 1000).toUTCString();
}

/**
 * Adds Retry-After to retryable 429/503 errors (not to quota errors, which never clear by waiting):
 * the seconds of the message's "after N seconds" (else 1), or that moment as an HTTP date.
 */
export function withRetryAfter(err: ApiError, asDate = false, now = Date.now()): ApiError {
  const retryable = (err.status === 429 && err.type !== 'exceeded_current_quota_error') || err.status === 503;
  if (!retryable || Object.keys(err.headers).some((h) => h.toLowerCase() === 'retry-after')) return err;
  const seconds = Number(/after (\d+) seconds?/.exec(err.message)?.[1] ?? '1');
  const value = asDate ? httpDateAhead(seconds, now) : String(seconds);
  return new ApiError(err.status, err.type, err.message, { ...err.headers, 'retry-after': value });
}
