// The request body as undici takes it, and the warm-up of the answer's path while the server thinks.
import { nodeStream } from '../lazy.js';
import { applyChunk, emptyCompletion } from './completion.js';
import { parseSse } from './sse.js';

/** A request body: its exact size (sent as Content-Length) and a fresh stream of its bytes per attempt. */
export interface Body {
  bytes: number;
  chunks(): AsyncIterable<Uint8Array | string>;
  /** A body small enough to go as one string, made afresh per attempt (its files read then). */
  whole?(): string;
}

/**
 * A fresh body for each attempt; `onSent` when its last byte has been taken. An async iterable, not a
 * Readable: undici writes each chunk to the socket as it comes and asks for the next once the socket
 * takes more, and a Readable would turn the base64 strings back into Buffers (see request/body.ts).
 * A plain iterator, not a generator around the body's own: each generator layer kept a request's
 * state alive through two more collections (found with --trace-gc-nvp; bench/README.md).
 */
export function bodyStream(body: Body, onSent?: () => void): string | AsyncIterable<Uint8Array | string> {
  // A small body goes as a string where nobody waits to hear that it is sent (--each: thousands of
  // requests). undici writes an iterable body through an async loop that registers listeners on the
  // keep-alive socket for each request; that kept every request's objects alive through the
  // young-generation collections of the whole run (a bare undici loop over 20,000 requests, 16 at a
  // time: 126 MB peak with string bodies, 250 MB with one-chunk async generators; bench/README.md).
  if (body.whole && !onSent) {
    const text = body.whole();
    setImmediate(warmAnswerPath);
    return text;
  }
  return {
    [Symbol.asyncIterator]() {
      const chunks = body.chunks()[Symbol.asyncIterator]();
      return {
        async next() {
          const r = await chunks.next();
          if (r.done) {
            onSent?.();
            setImmediate(warmAnswerPath);
          }
          return r;
        },
        return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

let warmed = false;
/**
 * Runs the answer's path (a byte stream read as events, each applied to a completion) once over a
 * made-up event, while the server thinks: the first real event then meets code that is already
 * compiled, which took ~4 ms off the time from the first answer byte on the socket to stdout. Once
 * per process, after the body is sent, so it never delays the request.
 */
function warmAnswerPath(): void {
  if (warmed) return;
  warmed = true;
  const event = Buffer.from('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"·"}}]}\n\ndata: [DONE]\n\n');
  void (async () => {
    const c = emptyCompletion();
    for await (const chunk of parseSse(nodeStream().Readable.from([event], { objectMode: false }))) applyChunk(c, chunk);
  })().catch(() => undefined);
}
