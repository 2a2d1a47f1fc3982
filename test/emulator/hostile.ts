// Hostile answers that replace the service's: bodies that never end, and redirects. Endless writers
// go at the pace the client reads: they wait for 'drain' when the socket pushes back and yield with
// setImmediate between writes, so the server keeps serving everyone else.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { findModel } from './catalog.js';
import { envelopeFor } from './chunks.js';
import type { Ctx } from './state.js';

/** Events in one write of an endless stream (about 8 KiB), built once: the writer allocates nothing per write. */
const EVENTS_PER_WRITE = 40;
/** Bytes of filler in one write of an endless error body. */
const FILLER_BYTES = 16 * 1024;

/** True while the response can still be written. */
function writable(c: Ctx): boolean {
  return !c.res.destroyed && !c.res.writableEnded && !c.state.closing.signal.aborted;
}

/** Resolves when the socket takes more ('drain') or the response is gone ('close'). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Writes `block` again and again until the client closes or the emulator stops. */
export async function writeForever(c: Ctx, block: Buffer): Promise<void> {
  while (writable(c)) {
    if (c.res.write(block)) await nextTurn();
    else await drained(c.res);
  }
}

/** A 200 event stream of content (or reasoning) deltas with no finish_reason and no [DONE]. */
export async function endlessStream(c: Ctx, model: string, deltas: 'content' | 'reasoning'): Promise<void> {
  const live = findModel(model) ?? findModel('kimi-k2.6');
  if (!live) return;
  const env = envelopeFor(live);
  const head = { id: env.id, object: 'chat.completion.chunk', created: env.created, model: env.model };
  const event = (delta: Record<string, unknown>): string => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
  const field = deltas === 'reasoning' ? 'reasoning_content' : 'content';
  const block = Buffer.from(event({ [field]: 'and so on, ' }).repeat(EVENTS_PER_WRITE), 'utf8');
  c.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  c.res.write(event({ role: 'assistant', content: '' }));
  await writeForever(c, block);
}

/** An error status whose JSON body starts like the service's error and never ends. */
export async function endlessErrorBody(c: Ctx, status: 400 | 500): Promise<void> {
  const type = status === 400 ? 'invalid_request_error' : 'server_error';
  c.res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  c.res.write(`{"error":{"type":"${type}","message":"`);
  await writeForever(c, Buffer.from('the error goes on and on '.repeat(Math.ceil(FILLER_BYTES / 25)), 'utf8'));
}

/**
 * A redirect answered before the request body is read (as a proxy or a load balancer does); the
 * body is the HTML nginx sends. Node discards the unread request body after the response.
 */
export function redirect(c: Ctx, status: number, location: string | undefined): void {
  const scheme = c.state.opts.tls ? 'https' : 'http';
  const target = location ?? `${scheme}://${c.req.headers.host ?? '127.0.0.1'}/v1/chat/completions`;
  const title = `${status} ${STATUS_CODES[status] ?? 'Redirect'}`;
  const html = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  c.res.removeHeader('Msh-Request-Id');
  c.res.removeHeader('x-trace-id');
  c.res.writeHead(status, { location: target, 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(html)) });
  c.res.end(html);
}
