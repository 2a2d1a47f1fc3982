// A plain web server for the CLI's URL inputs, beside the API: GET /downloads/<mode>/<fixture>
// serves a file of fixtures/ whole, trickled (a few bytes at a time, so no idle timeout fires while
// the total time is long) or endlessly (the file, then filler bytes forever), so that the download's
// total time limit can be tested. Query: every=<ms between writes> (default 200; 0 for endless
// means as fast as the socket takes it), seconds=<trickle: spread the file over this long, default
// 60>, bytes=<endless: filler bytes per write, default 16>.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeForever } from './hostile.js';
import { sniffMedia } from './media.js';
import { sleep } from './respond.js';
import type { Ctx } from './state.js';
import type { DownloadMode, DownloadPace } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const ROUTE = /^\/downloads\/(whole|trickle|endless)\/([\w][\w.-]*)$/;

/** The query string of a download URL. */
export function paceQuery(pace: DownloadPace): string {
  const q = new URLSearchParams();
  if (pace.everyMs !== undefined) q.set('every', String(pace.everyMs));
  if (pace.seconds !== undefined) q.set('seconds', String(pace.seconds));
  if (pace.bytes !== undefined) q.set('bytes', String(pace.bytes));
  const text = q.toString();
  return text ? `?${text}` : '';
}

function number(q: URLSearchParams, name: string, fallback: number): number {
  const n = Number(q.get(name) ?? fallback);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function notFound(c: Ctx): void {
  c.res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  c.res.end('404 page not found\n');
}

const open = (c: Ctx): boolean => !c.res.destroyed && !c.res.writableEnded && !c.state.closing.signal.aborted;

/** Handles GET /downloads/...; false when the path is not one of them. */
export async function handleDownload(c: Ctx): Promise<boolean> {
  if (!c.path.startsWith('/downloads/')) return false;
  c.res.removeHeader('Msh-Request-Id');
  c.res.removeHeader('x-trace-id');
  const m = ROUTE.exec(c.path);
  let data: Buffer | undefined;
  if (m && c.req.method === 'GET') data = await readFile(join(FIXTURES, m[2] ?? '')).catch(() => undefined);
  if (!m || !data) {
    notFound(c);
    return true;
  }
  const mode = m[1] as DownloadMode;
  const q = new URL(c.req.url ?? '/', 'http://x').searchParams;
  const every = number(q, 'every', 200);
  const type = sniffMedia(data).kind === 'other' ? 'application/octet-stream' : sniffMedia(data).mime;
  if (mode === 'whole') {
    c.res.writeHead(200, { 'content-type': type, 'content-length': String(data.length) });
    c.res.end(data);
    return true;
  }
  if (mode === 'trickle') {
    // The whole length is announced, so a client knows the body is not done until the last write.
    c.res.writeHead(200, { 'content-type': type, 'content-length': String(data.length) });
    const writes = Math.max(1, Math.floor((number(q, 'seconds', 60) * 1000) / Math.max(1, every)));
    const size = Math.ceil(data.length / writes);
    for (let at = 0; at < data.length && open(c); at += size) {
      if (at > 0) await sleep(every, c.state.closing.signal);
      if (open(c)) c.res.write(data.subarray(at, at + size));
    }
    if (open(c)) c.res.end();
    return true;
  }
  c.res.writeHead(200, { 'content-type': type });
  c.res.write(data);
  const filler = Buffer.alloc(Math.max(1, number(q, 'bytes', 16)));
  if (every === 0) {
    await writeForever(c, Buffer.alloc(64 * 1024));
    return true;
  }
  while (open(c)) {
    await sleep(every, c.state.closing.signal);
    if (open(c)) c.res.write(filler);
  }
  return true;
}
