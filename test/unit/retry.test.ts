import { describe, expect, it } from 'vitest';
import { nextStep, parseAfterSeconds, parseRetryAfter, retryDelay, shouldRetry } from '../../src/api/retry.js';
import { ApiError, InputError, NetworkError } from '../../src/errors.js';

const api = (status: number, type: string, message = 'x', retryAfterMs?: number) => new ApiError({ status, type, message, retryAfterMs });

describe('shouldRetry', () => {
  it.each([
    [api(429, 'rate_limit_reached_error'), true],
    [api(429, 'engine_overloaded_error'), true],
    [api(429, 'exceeded_current_quota_error'), false],
    [api(500, 'server_error'), true],
    [api(502, ''), true],
    [api(503, 'unexpected_output'), true],
    [api(400, 'invalid_request_error'), false],
    [api(400, 'content_filter'), false],
    [api(401, 'invalid_authentication_error'), false],
    [api(403, 'permission_denied_error'), false],
    [api(404, 'resource_not_found_error'), false],
    [new NetworkError('ECONNREFUSED', 'refused'), true],
    [new NetworkError('ECONNRESET', 'reset', undefined, true), false],
    [new NetworkError('CERT_HAS_EXPIRED', 'tls', undefined, false, false), false],
    [new InputError('bad file'), false],
    [new Error('bug'), false],
  ])('%s -> %s', (err, expected) => {
    expect(shouldRetry(err)).toBe(expected);
  });
});

describe('retry delays', () => {
  it('honours Retry-After first, then "after N seconds", then backs off with jitter', () => {
    expect(retryDelay(1, api(429, 'rate_limit_reached_error', 'please try again after 3 seconds', 7000))).toBe(7000);
    expect(retryDelay(1, api(429, 'rate_limit_reached_error', 'max RPM: 3, please try again after 3 seconds'))).toBe(3000);
    expect(retryDelay(1, api(500, 'server_error'), () => 0)).toBe(500);
    expect(retryDelay(2, api(500, 'server_error'), () => 0)).toBe(1000);
    expect(retryDelay(10, api(500, 'server_error'), () => 0)).toBe(8000);
    expect(retryDelay(1, api(500, 'server_error'), () => 1)).toBe(375);
  });

  it.each([
    ['3', 3000],
    ['0.5', 500],
    [' 10 ', 10_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('Retry-After %s -> %s ms', (h, ms) => {
    expect(parseRetryAfter(h, 0)).toBe(ms);
  });

  it('reads an HTTP-date Retry-After relative to now', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
  });

  it.each([
    ['please try again after 1 seconds', 1000],
    ['try again after 20 second', 20_000],
    ['retry after 2.5s', 2500],
    ['no number here', undefined],
  ])('%s', (m, ms) => {
    expect(parseAfterSeconds(m)).toBe(ms);
  });
});

describe('nextStep: the one decision of both retry loops', () => {
  const busy = new ApiError({ status: 503, type: 'server_error', message: 'busy' });
  const reset = new NetworkError('ECONNRESET', 'the connection to h was closed unexpectedly.');
  const fixed = () => 0;
  it.each([
    ['a retryable failure, attempts left: wait', busy, 1, 3, { kind: 'retry', delayMs: 500 }],
    ['the last attempt: give up with the error', busy, 3, 3, { kind: 'fail', error: busy }],
    ['a bad request is never retried', new ApiError({ status: 400, type: 'invalid_request_error', message: 'bad' }), 1, 3, { kind: 'fail' }],
  ])('%s', (_what, err, used, max, expected) => {
    expect(nextStep(err, used, max, fixed)).toMatchObject(expected);
  });

  it('a network failure that outlasts its attempts says how many there were', () => {
    const step = nextStep(reset, 3, 3, fixed);
    expect(step.kind).toBe('fail');
    expect((step as { error: Error }).error.message).toBe('the connection to h was closed unexpectedly (after 3 attempts).');
  });

  it('a wait the API asks for beyond a minute is not slept through, and says so', () => {
    const step = nextStep(new ApiError({ status: 429, type: 'rate_limit_reached_error', message: 'slow down', retryAfterMs: 3_600_000 }), 1, 3, fixed);
    expect(step.kind).toBe('fail');
    expect((step as { error: Error }).error.message).toBe('slow down (the API asks to wait 3600 s; not waiting that long).');
  });
});
