// Whole JSON answers: decoded, read within a limit, parsed; an error object in a 200 answer is the
// API error it states, and a chat answer without choices is no answer.
import type { Dispatcher } from 'undici';
import { NetworkError } from '../errors.js';
import { fromBody, type Completion } from './completion.js';
import { errorInBody } from './error-body.js';
import { header, requestIdOf } from './headers.js';
import { closeBody, decodedBody, readAtMost } from './read-body.js';

/**
 * A JSON answer, its body decoded and read up to `max` bytes. An error object in it (HTTP 200 with
 * `{"error":…}`: some gateways answer errors so) is that API error; a body that is not JSON is
 * reported with its type, never taken for an answer.
 */
export async function readJson(res: Dispatcher.ResponseData, host: string, max: number, what: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(decodedBody(res, host), max, host, what);
  } finally {
    closeBody(res.body);
  }
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    const type = header(res.headers, 'content-type') ?? 'unknown type';
    throw new NetworkError('bad_response', `${host} answered with ${type} that is not the API's JSON.`, 'Check --base-url: it should end in /v1 of a Moonshot-compatible API.');
  }
  const error = errorInBody(body, { requestId: requestIdOf(res.headers) });
  if (error) throw error;
  return body;
}

/** A whole answer; JSON that is not a chat completion is refused rather than read as an empty answer. */
export function chatCompletion(body: unknown, host: string): Completion {
  if (!Array.isArray((body as { choices?: unknown } | null)?.choices)) {
    throw new NetworkError(
      'bad_response',
      `${host} answered with JSON that is not a chat completion (no choices).`,
      'Check --base-url: it should end in /v1 of a Moonshot-compatible API.',
    );
  }
  return fromBody(body);
}
