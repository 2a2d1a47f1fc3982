// The request body as undici takes it, and the warm-up of the answer's path while the server thinks.
import { nodeStream } from '../lazy.js';
import { applyChunk, emptyCompletion } from './completion.js';
import { loadUndici } from './http.js';
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

let warmed: Promise<void> | undefined;
/**
 * Runs the answer's path over a made-up answer while the server thinks, once per process and after
 * the body is sent, so that it never delays the request. The first real answer then meets code that
 * is ready: undici's HTTP parser, which is WebAssembly that V8 compiles function by function on first
 * call (~4 ms on Node 24, paid between the first answer byte on the socket and stdout), its response
 * objects, and ours (a byte stream read as events, each applied to a completion).
 *
 * The made-up answer is 128 chunked events (~10 KB): enough parsing for V8 to start optimizing the
 * parser's main function now, a ~100 ms compile on a background thread, done before the real answer
 * comes. With the real answer alone that compile began near the end of a short answer and the process
 * waited for it at exit: ~90 ms on Node 24, ~170 ms on Node 22 (bench/README.md, "wire").
 *
 * It comes over an in-memory socket (a duplex pair handed to an undici Agent as its connection):
 * nothing leaves the process. A failure is ignored: the real answer then pays the compile itself.
 */
export function warmAnswerPath(): Promise<void> {
  warmed ??= warmOnce().catch(() => undefined);
  return warmed;
}

const WARM_EVENT = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"·"}}]}\n\n';
const WARM_EVENTS = 128;

/** One event as a chunk of a chunked HTTP/1.1 body. */
function chunked(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

async function warmOnce(): Promise<void> {
  const { Agent, request } = await loadUndici();
  const [ours, theirs] = nodeStream().duplexPair();
  theirs.once('data', () => {
    theirs.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
    theirs.write(`${chunked(WARM_EVENT).repeat(WARM_EVENTS)}${chunked('data: [DONE]\n\n')}0\r\n\r\n`);
  });
  theirs.on('error', () => undefined);
  // Handed over on a later tick, as a real connection would be: undici ignores a socket given back
  // while it is still dispatching the request that asked for it.
  const agent = new Agent({ connect: (_o, done) => (queueMicrotask(() => done(null, ours as never)), ours as never) });
  try {
    const res = await request('http://warm-up.invalid/', { method: 'POST', body: '{}', dispatcher: agent });
    const c = emptyCompletion();
    for await (const chunk of parseSse(res.body)) applyChunk(c, chunk);
  } finally {
    await agent.destroy();
    theirs.destroy();
  }
}
