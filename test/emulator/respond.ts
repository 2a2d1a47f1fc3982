// HTTP plumbing shared by the routes: ids, JSON and error responses, bounded body reading.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** 100 MB: the documented request body and file limit. */
export const BODY_LIMIT = 100 * 1024 * 1024;

/** An error answered as `{"error":{"message","type"}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly headers: Record<string, string>;
  constructor(status: number, type: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.headers = headers;
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'invalid_request_error', message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'resource_not_found_error', message);
}

export function modelNotFound(model: unknown): ApiError {
  return notFound(`Not found the model ${String(model)} or Permission denied`);
}

export function tokenLimit(context: number): ApiError {
  return badRequest(`Your request exceeded model token limit : ${context}`);
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, { error: { message: err.message, type: err.type } }, err.headers);
}

const GATEWAY_404 = '404 page not found\n';

/**
 * A path outside the API (a base URL without /v1, say) is answered by the gateway in front of the
 * service, not by the service: no Moonshot request id, and never the service's model-not-found body.
 * 'text' is Go's net/http default; 'json' a gateway that speaks JSON and names the path.
 */
export function sendGatewayNotFound(res: ServerResponse, method: string, path: string, style: 'text' | 'json'): void {
  if (res.destroyed || res.headersSent) return;
  res.removeHeader('Msh-Request-Id');
  res.removeHeader('x-trace-id');
  if (style === 'json') {
    const text = JSON.stringify({ error: { type: 'resource_not_found_error', message: `no route matches ${method} ${path}` } });
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
    return;
  }
  res.writeHead(404, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': String(Buffer.byteLength(GATEWAY_404)),
  });
  res.end(GATEWAY_404);
}

export type BodyResult = { kind: 'ok'; buf: Buffer } | { kind: 'too-large'; bytes: number };

/**
 * Reads the whole body, counting bytes. Past `limit` it stops keeping data and discards the rest
 * (so the client can still read the 413 it is sent). `onBytes` sees the running count.
 */
export function readBody(req: IncomingMessage, limit: number, onBytes: (n: number) => void): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ kind: 'too-large', bytes: declared });
  }
  return new Promise((resolve, reject) => {
    // With a declared length, copy into one buffer instead of holding chunks and a concatenation.
    const whole = Number.isFinite(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      const at = bytes;
      bytes += chunk.length;
      onBytes(bytes);
      if (bytes > limit) {
        chunks.length = 0;
        req.off('data', onData);
        req.off('end', onEnd);
        req.on('data', (more: Buffer) => onBytes((bytes += more.length)));
        resolve({ kind: 'too-large', bytes });
        return;
      }
      if (whole && bytes <= whole.length) chunk.copy(whole, at);
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (whole && chunks.length === 0) {
        resolve({ kind: 'ok', buf: whole.subarray(0, bytes) });
        return;
      }
      const buf = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, bytes);
      chunks.length = 0;
      resolve({ kind: 'ok', buf });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
    // A client that leaves mid-upload: settle (no-op when already resolved) so nothing waits forever.
    req.on('close', () => reject(new Error('the client closed the connection during the upload')));
  });
}

/** Waits `ms`, or less when `signal` aborts (the emulator closing). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
