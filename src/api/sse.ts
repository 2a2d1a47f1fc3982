// Server-sent events: bytes in, JSON payloads out. `data: [DONE]` ends the stream; an `error`
// payload throws. Bytes may be split anywhere (inside a UTF-8 character, a line or a CRLF).
// As the specification says (html.spec.whatwg.org, server-sent events): unknown fields, a line with
// no colon (a bare `keepalive`), a `retry:` that is not digits and blocks without data are ignored;
// LF, CRLF and CR all end lines, also a CR that is the stream's very last byte.
import type { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { NetworkError } from '../errors.js';
import { errorInBody } from './error-body.js';

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
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown, SseEnd, undefined> {
  const decoder = new TextDecoder('utf-8');
  const queue: string[] = [];
  let done = false;
  let overflow = false;
  const parser = createParser({
    onEvent: (event) => {
      if (!done) queue.push(event.data);
      if (event.data.trim() === '[DONE]') done = true;
    },
    // eventsource-parser reports what the specification ignores (unknown-field, invalid-retry)
    // through onError too; only a line past the buffer limit is a failure.
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') overflow = true;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  for await (const bytes of chunksOf(body)) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (overflow) throw new NetworkError('bad_event', 'The API sent an event longer than 16 MiB.');
    for (let data = queue.shift(); data !== undefined && data.trim() !== '[DONE]'; data = queue.shift()) yield decodeEvent(data);
    if (done) return { done: true };
  }
  parser.feed(decoder.decode());
  // The end of the stream ends the last line and the last event: a last event without its blank
  // line still counts. eventsource-parser keeps a final CR pending (it could begin a CRLF), and
  // dispatches nothing of it even when reset with consume: '\n' completes that CR as a CRLF (no
  // new line), then the blank line ends the event.
  parser.feed('\n\n');
  for (let data = queue.shift(); data !== undefined && data.trim() !== '[DONE]'; data = queue.shift()) yield decodeEvent(data);
  return { done };
}

/**
 * A Node stream is read without being destroyed when the reading stops early, at `[DONE]`: its own
 * iterator would destroy it with an AbortError whose stack trace Node formats at once, ~50 µs and a
 * few KiB for every request (--each makes thousands). The caller lets the body go (read-body.ts).
 */
function chunksOf(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const stream = body as Partial<Pick<Readable, 'iterator'>>;
  return typeof stream.iterator === 'function' ? stream.iterator({ destroyOnReturn: false }) : body;
}

function decodeEvent(data: string): unknown {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    const sample = data.length > 60 ? `${data.slice(0, 60)}…` : data;
    throw new NetworkError('bad_event', `The API sent an event that is not JSON: ${sample}`, 'Try again; if it keeps happening, use --no-stream.');
  }
  const error = errorInBody(payload);
  if (error) throw error;
  return payload;
}
