// Server-sent events: bytes in, JSON payloads out. `data: [DONE]` ends the stream; an `error`
// payload throws. Bytes may be split anywhere (inside a UTF-8 character, a line or a CRLF).
import { createParser } from 'eventsource-parser';
import { ApiError, NetworkError } from '../errors.js';

export interface SseEnd {
  /** True when `data: [DONE]` arrived: the only reliable end marker. */
  done: boolean;
}

/** 16 MiB: no honest event is this long; a stream that never ends a line is refused. */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * Yields each event's parsed JSON payload, in order. Returns `{done}` when the byte stream ends.
 * Throws ApiError for an `{"error": ...}` payload and NetworkError('bad_event') for one that is not JSON.
 */
export async function* parseSse(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<unknown, SseEnd, undefined> {
  const decoder = new TextDecoder('utf-8');
  const queue: string[] = [];
  let done = false;
  let overflow = false;
  const parser = createParser({
    onEvent: (event) => {
      if (!done) queue.push(event.data);
      if (event.data.trim() === '[DONE]') done = true;
    },
    onError: () => {
      overflow = true;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (overflow) throw new NetworkError('bad_event', 'The API sent an event longer than 16 MiB.');
    for (let data = queue.shift(); data !== undefined && data.trim() !== '[DONE]'; data = queue.shift()) yield decodeEvent(data);
    if (done) return { done: true };
  }
  parser.feed(decoder.decode());
  parser.feed('\n\n'); // a last event without its blank line still counts
  for (let data = queue.shift(); data !== undefined && data.trim() !== '[DONE]'; data = queue.shift()) yield decodeEvent(data);
  return { done };
}

export function decodeEvent(data: string): unknown {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    const sample = data.length > 60 ? `${data.slice(0, 60)}…` : data;
    throw new NetworkError('bad_event', `The API sent an event that is not JSON: ${sample}`, 'Try again; if it keeps happening, use --no-stream.');
  }
  const error = (payload as { error?: { type?: unknown; message?: unknown; code?: unknown } } | null)?.error;
  if (error && typeof error === 'object') {
    const type = typeof error.type === 'string' ? error.type : 'server_error';
    throw new ApiError({
      status: statusForType(type, error.code),
      type,
      message: typeof error.message === 'string' ? error.message : 'The API reported an error mid-stream.',
    });
  }
  return payload;
}

/** A status for an error that came without one (inside a stream), so it maps to the right exit code. */
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
