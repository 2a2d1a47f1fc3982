// Helpers for the emulator's own tests: images of given sizes, requests, SSE parsing.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import { startEmulator } from './server.js';
import { capturesDir } from './state.js';
import type { Emulator, EmulatorOptions } from './types.js';

export const CAPTURES = capturesDir({});
export const KEY = 'sk-test';

const started: Emulator[] = [];

/** Starts an emulator that closeAll() closes. */
export async function emulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ capturesDir: CAPTURES, ...opts });
  started.push(e);
  return e;
}

export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((e) => e.close()));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([head, body, crc]);
}

/** A real (black, greyscale) PNG of the given size. */
export function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Headers of other formats declaring a size (enough for a header-only size reader). */
export function jpegHeader(w: number, h: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

export function gifHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}

export function bmpHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(54);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(54, 2);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(-h, 22);
  return b;
}

export function webpHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(22, 4);
  b.write('WEBPVP8X', 8, 'latin1');
  b.writeUInt32LE(10, 16);
  b.writeUIntLE(w - 1, 24, 3);
  b.writeUIntLE(h - 1, 27, 3);
  return b;
}

export function dataUrl(buf: Buffer, mime = 'image/png'): string {
  return `data:${mime};base64,${buf.toString('base64')}`;
}

export function imagePart(buf: Buffer, mime = 'image/png'): Record<string, unknown> {
  return { type: 'image_url', image_url: { url: dataUrl(buf, mime) } };
}

export function userMessage(text: string, ...images: Record<string, unknown>[]): Record<string, unknown> {
  return { role: 'user', content: [...images, { type: 'text', text }] };
}

export function post(e: Emulator, path: string, body: unknown, key: string | undefined = KEY): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  return fetch(`${e.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

export function get(e: Emulator, path: string, key = KEY): Promise<Response> {
  return fetch(`${e.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

export function chat(e: Emulator, body: unknown, key?: string): Promise<Response> {
  return post(e, '/chat/completions', body, key);
}

/** The data payloads of an SSE text (LF or CRLF, comments skipped). */
export function ssePayloads(text: string): string[] {
  return text.split(/\r?\n\r?\n/).flatMap((block) =>
    block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6)),
  );
}

/** The parsed JSON chunks of a stream, [DONE] excluded. */
export function sseChunks(text: string): any[] {
  return ssePayloads(text)
    .filter((p) => p !== '[DONE]')
    .map((p) => JSON.parse(p));
}

export function joinDeltas(chunks: any[], field: 'content' | 'reasoning_content'): string {
  return chunks.map((c) => c.choices?.[0]?.delta?.[field] ?? '').join('');
}

/** POSTs with node:http and returns the body as the separate pieces the client read. */
export function rawPost(e: Emulator, path: string, body: unknown): Promise<{ status: number; pieces: Buffer[] }> {
  const url = new URL(`${e.baseUrl}${path}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (b: Buffer) => pieces.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pieces }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values as sent (case kept). */
  rawHeaders: string[];
  body: Buffer;
}

/** Opens a chat request with node:http (no decoding, no redirects), resolving at the response head. */
export function openChat(e: Emulator, body: unknown, headers: Record<string, string> = {}, maxHeaderSize?: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${e.baseUrl}/chat/completions`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'accept-encoding': 'identity', ...headers },
        ...(maxHeaderSize ? { maxHeaderSize } : {}),
      },
      resolve,
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A whole chat response, byte for byte. */
export async function rawChat(e: Emulator, body: unknown, headers: Record<string, string> = {}, maxHeaderSize?: number): Promise<RawResponse> {
  const res = await openChat(e, body, headers, maxHeaderSize);
  const pieces: Buffer[] = [];
  for await (const piece of res) pieces.push(piece as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(pieces) };
}

/** Reads at least `bytes` of a response that may never end, then closes the connection. */
export async function readSome(res: IncomingMessage, bytes: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let got = 0;
  for await (const piece of res) {
    pieces.push(piece as Buffer);
    got += (piece as Buffer).length;
    if (got >= bytes) break; // leaving the loop destroys the response and its socket
  }
  return Buffer.concat(pieces);
}

/** Waits until `cond` holds (polling the emulator's counters), failing after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
