// What an answer says went wrong: Moonshot's error body `{"error":{"type","message"}}`, with an
// error status, inside a stream, or with HTTP 200 (some gateways answer errors so). An error body is
// read up to ERROR_BODY_BYTES: one that goes on is cut, and what its start says is kept.
import type { Dispatcher } from 'undici';
import { ApiError, NetworkError } from '../errors.js';
import { requestIdOf, header } from './headers.js';
import { binarySize, closeBody, decodedBody, ERROR_BODY_BYTES, readUpTo } from './read-body.js';
import { parseRetryAfter } from './retry.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Longest server message shown: a cut body's message is shortened to this many characters. */
const SHOWN_MESSAGE_CHARS = 120;

/**
 * The ApiError a parsed document stands for when it is an error body (an `error` object with a
 * type, a message or a code), else undefined. `status` is the HTTP status when it was an error status;
 * otherwise (200, a stream) the status the type implies, so it maps to the right exit code.
 */
export function errorInBody(payload: unknown, o: { status?: number; requestId?: string | undefined } = {}): ApiError | undefined {
  const error = isObj(payload) ? payload.error : undefined;
  if (!isObj(error)) return undefined;
  const type = typeof error.type === 'string' ? error.type : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (!type && !message && error.code === undefined) return undefined;
  return new ApiError({
    status: o.status ?? statusForType(type, error.code),
    type: type || 'server_error',
    message: message || 'The API reported an error without a message.',
    requestId: o.requestId,
  });
}

/** A status for an error that came without one (in a stream, or with 200), so it maps to the right exit code. */
export function statusForType(type: string, code?: unknown): number {
  if (typeof code === 'number' && code >= 400 && code < 600) return code;
  switch (type) {
    case 'invalid_request_error':
    case 'content_filter':
      return 400;
    case 'invalid_authentication_error':
    case 'incorrect_api_key_error':
      return 401;
    case 'permission_denied_error':
      return 403;
    case 'resource_not_found_error':
      return 404;
    case 'exceeded_current_quota_error':
    case 'rate_limit_reached_error':
    case 'engine_overloaded_error':
      return 429;
    default:
      return 500;
  }
}

/** An error status's answer as an ApiError: its body read up to ERROR_BODY_BYTES (any body tolerated). */
export async function apiErrorFrom(res: Dispatcher.ResponseData, host: string, epochMs: number): Promise<ApiError> {
  const status = res.statusCode;
  const base = { status, requestId: requestIdOf(res.headers), retryAfterMs: parseRetryAfter(header(res.headers, 'retry-after'), epochMs) };
  let text = '';
  let cut = false;
  try {
    const read = await readUpTo(decodedBody(res, host), ERROR_BODY_BYTES);
    text = read.bytes.toString('utf8');
    cut = read.cut;
  } catch (err) {
    // An encoding it cannot read, a reset: the status still says what happened.
    const why = err instanceof NetworkError && err.code === 'bad_encoding' ? 'an error body in an encoding kimi-vision cannot read' : 'an error body that could not be read';
    return new ApiError({ ...base, type: '', message: `HTTP ${status} (${why})` });
  } finally {
    closeBody(res.body);
  }
  const said = cut ? fromCutBody(text) : fromWholeBody(text);
  const tail = cut ? ` (an error body over ${binarySize(ERROR_BODY_BYTES)}, cut)` : '';
  return new ApiError({
    ...base,
    type: said.type,
    message: said.message ? `${said.message}${tail}` : `HTTP ${status}${text ? `: ${sample(text, 120)}` : ''}${tail}`,
  });
}

function fromWholeBody(text: string): { type: string; message: string } {
  try {
    const error = (JSON.parse(text) as { error?: unknown } | null)?.error;
    if (isObj(error)) return { type: typeof error.type === 'string' ? error.type : '', message: typeof error.message === 'string' ? error.message : '' };
  } catch {
    // not JSON: the status line and the start of the body say it
  }
  return { type: '', message: '' };
}

/** A cut body is no JSON any more: its type and the start of its message are read from the text. */
function fromCutBody(text: string): { type: string; message: string } {
  return { type: stringField(text, 'type') ?? '', message: sample(stringField(text, 'message') ?? '', SHOWN_MESSAGE_CHARS) };
}

/** The value of the first `"name": "…"` in JSON text, unescaped; a value the cut ended is kept as far as it goes. */
function stringField(text: string, name: string): string | undefined {
  const m = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,${SHOWN_MESSAGE_CHARS * 2}})`).exec(text);
  if (!m) return undefined;
  const raw = m[1] ?? '';
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

function sample(text: string, chars: number): string {
  const t = text.trim();
  return t.length > chars ? `${t.slice(0, chars).trimEnd()}…` : t;
}
