// How a response travels when a hostile fault changes the wire but not the answer: an oversized
// header, odd Content-Type case, a compressed body the client never asked for.

import type { ServerResponse } from 'node:http';
import { brotliCompressSync, createBrotliCompress, createGzip, gzipSync } from 'node:zlib';
import type { ApiError } from './respond.js';
import type { Fault, HostileEncoding } from './types.js';

export interface Wire {
  /** Extra response headers. */
  headers: Record<string, string>;
  /** Content-Type in mixed case (matched case-insensitively by a correct client). */
  oddCase: boolean;
  encoding: HostileEncoding | undefined;
}

/** 64 KiB: four times the 16 KiB header limit of Node's HTTP parser, which undici uses. */
const HUGE_HEADER_BYTES = 64 * 1024;

/** The wire a fault asks for; undefined for faults that do not act on the wire. */
export function wireFor(fault: Fault | undefined): Wire | undefined {
  switch (fault?.kind) {
    case 'huge-headers':
      return { headers: { 'x-trace-detail': 'x'.repeat(fault.bytes ?? HUGE_HEADER_BYTES) }, oddCase: false, encoding: undefined };
    case 'content-type-case':
      return { headers: {}, oddCase: true, encoding: undefined };
    case 'gzip':
      return { headers: {}, oddCase: false, encoding: fault.encoding ?? 'gzip' };
    default:
      return undefined;
  }
}

/** A streaming compressor for the encoding; x-weird carries gzip bytes under a name nobody decodes. */
export function encoderFor(encoding: HostileEncoding): ReturnType<typeof createGzip> | ReturnType<typeof createBrotliCompress> {
  return encoding === 'br' ? createBrotliCompress() : createGzip();
}

function encodeBody(encoding: HostileEncoding, buf: Buffer): Buffer {
  return encoding === 'br' ? brotliCompressSync(buf) : gzipSync(buf);
}

/** A JSON response over `wire` (plain when undefined), with its exact Content-Length. */
export function sendJsonWire(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, wire: Wire | undefined): void {
  if (res.destroyed || res.headersSent) return;
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  const bytes = wire?.encoding ? encodeBody(wire.encoding, text) : text;
  res.writeHead(status, {
    ...headers,
    ...wire?.headers,
    [wire?.oddCase ? 'Content-Type' : 'content-type']: wire?.oddCase ? 'Application/JSON; charset=UTF-8' : 'application/json; charset=utf-8',
    ...(wire?.encoding ? { 'content-encoding': wire.encoding } : {}),
    'content-length': String(bytes.length),
  });
  res.end(bytes);
}

/** The service's error body over `wire`. */
export function sendErrorWire(res: ServerResponse, err: ApiError, wire: Wire | undefined): void {
  sendJsonWire(res, err.status, { error: { message: err.message, type: err.type } }, err.headers, wire);
}
