// What an answer says went wrong: error objects in any answer, and error bodies read within 64 KiB.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { apiErrorFrom, errorInBody, statusForType } from '../../src/api/error-body.js';
import { ApiError } from '../../src/errors.js';

describe('errorInBody', () => {
  it.each([
    ['a Moonshot error', { error: { type: 'invalid_request_error', message: 'bad' } }, { status: 400, type: 'invalid_request_error', message: 'bad', exitCode: 5 }],
    ['a rate limit', { error: { type: 'rate_limit_reached_error', message: 'after 1 seconds' } }, { status: 429, type: 'rate_limit_reached_error', exitCode: 75 }],
    ['an exhausted balance', { error: { type: 'exceeded_current_quota_error', message: 'suspended' } }, { status: 429, exitCode: 6 }],
    ['a code that is a status', { error: { message: 'no', code: 403 } }, { status: 403, type: 'server_error', exitCode: 4 }],
    ['a type alone', { error: { type: 'content_filter' } }, { status: 400, message: 'The API reported an error without a message.', exitCode: 5 }],
    ['an unknown type', { error: { type: 'gateway_error', message: 'x' } }, { status: 500, exitCode: 75 }],
  ])('%s is an ApiError', (_name, body, want) => {
    const err = errorInBody(body);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject(want);
  });

  it.each([
    ['a chat completion', { id: 'x', choices: [] }],
    ['error null (batch output lines have it)', { error: null, choices: [] }],
    ['an empty error object', { error: {} }],
    ['an error string', { error: 'no' }],
    ['an array', [{ error: { type: 'x' } }]],
    ['null', null],
    ['a number', 3],
  ])('%s is not', (_name, body) => expect(errorInBody(body)).toBeUndefined());

  it('the status given wins over the type', () => {
    expect(errorInBody({ error: { type: 'invalid_request_error', message: 'm' } }, { status: 413, requestId: 'r1' })).toMatchObject({ status: 413, requestId: 'r1', exitCode: 3 });
  });
});

describe('statusForType', () => {
  it.each([
    ['invalid_request_error', undefined, 400],
    ['content_filter', undefined, 400],
    ['invalid_authentication_error', undefined, 401],
    ['incorrect_api_key_error', undefined, 401],
    ['permission_denied_error', undefined, 403],
    ['resource_not_found_error', undefined, 404],
    ['exceeded_current_quota_error', undefined, 429],
    ['rate_limit_reached_error', undefined, 429],
    ['engine_overloaded_error', undefined, 429],
    ['server_error', undefined, 500],
    ['', undefined, 500],
    ['anything', 503, 503],
    ['anything', 200, 500],
    ['anything', '404', 500],
  ])('%s (code %j) -> %i', (type, code, status) => expect(statusForType(type, code)).toBe(status));
});

describe('apiErrorFrom', () => {
  const answer = (status: number, body: Buffer | Buffer[], headers: Record<string, string> = {}) =>
    ({ statusCode: status, headers, body: Readable.from(Array.isArray(body) ? body : [body]) }) as unknown as Dispatcher.ResponseData;
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));

  it('reads the type, message, request id and Retry-After of a whole body', async () => {
    const err = await apiErrorFrom(answer(429, json({ error: { type: 'engine_overloaded_error', message: 'busy' } }), { 'msh-request-id': 'abc', 'retry-after': '2' }), 'h', 0);
    expect(err).toMatchObject({ status: 429, type: 'engine_overloaded_error', message: 'busy', requestId: 'abc', retryAfterMs: 2000 });
  });

  it('a body that is not JSON: the status and the start of the body', async () => {
    const err = await apiErrorFrom(answer(502, Buffer.from('<html><body>Bad Gateway</body></html>')), 'h', 0);
    expect(err).toMatchObject({ status: 502, type: '', message: 'HTTP 502: <html><body>Bad Gateway</body></html>' });
  });

  it('an endless body: at most 64 KiB read; its type, and its message cut to 120 characters, kept', async () => {
    let served = 0;
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('{"error":{"type":"invalid_request_error","message":"');
        for (;;) {
          served += 16 * 1024;
          yield Buffer.from('on and on '.repeat(1638).padEnd(16 * 1024, ' '));
        }
      })(),
    );
    const err = await apiErrorFrom({ statusCode: 400, headers: {}, body: endless } as unknown as Dispatcher.ResponseData, 'h', 0);
    expect(served).toBeLessThanOrEqual(96 * 1024);
    expect(err.type).toBe('invalid_request_error');
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/^on and on .*… \(an error body over 64 KiB, cut\)$/);
    expect(err.message.length).toBeLessThan(200);
  });

  it('a gzip-encoded error body is decoded', async () => {
    const err = await apiErrorFrom(
      answer(404, gzipSync(json({ error: { type: 'resource_not_found_error', message: 'Not found the model' } })), { 'content-encoding': 'gzip' }),
      'h',
      0,
    );
    expect(err).toMatchObject({ status: 404, type: 'resource_not_found_error', message: 'Not found the model' });
  });

  it('an error body in an encoding it cannot read: the status still speaks', async () => {
    const err = await apiErrorFrom(answer(503, Buffer.from('zz'), { 'content-encoding': 'x-weird' }), 'h', 0);
    expect(err).toMatchObject({ status: 503, message: 'HTTP 503 (an error body in an encoding kimi-vision cannot read)', exitCode: 75 });
  });
});
