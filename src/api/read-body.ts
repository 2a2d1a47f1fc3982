// Reading a response body: decoded from a Content-Encoding the server chose although kimi-vision
// asks for identity, and bounded, so that no answer (a gateway's endless page, a decompression
// bomb) takes more memory than its kind of document needs. Each reader pulls one chunk at a time
// and stops at its limit, so a decoder never runs ahead of it.
import type { Readable } from 'node:stream';
import { NetworkError } from '../errors.js';
import { nodeStream } from '../lazy.js';
import { header, type Headers } from './headers.js';

/** Error bodies: Moonshot's are under 1 KiB; a 400 with an endless body once took 5.6 GB. */
export const ERROR_BODY_BYTES = 64 * 1024;
/** JSON documents: models, balance, token counts, file and batch objects (all a few KiB). */
export const JSON_BODY_BYTES = 16 * 1024 * 1024;
/** Files (a batch's output, 100 MB and more): up to what one V8 string can hold (~512 MiB). */
export const FILE_BODY_BYTES = 500 * 1024 * 1024;

/** Codings node:zlib decodes (createUnzip reads gzip and zlib-wrapped deflate alike). */
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** The codings of a Content-Encoding header, in the order they were applied; identity dropped. */
export function contentCodings(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'identity');
}

/** The first coding kimi-vision cannot decode, if any. */
export function unreadableCoding(codings: readonly string[]): string | undefined {
  return codings.find((c) => !DECODABLE.has(c));
}

/**
 * The body as the server meant it: the codings of its Content-Encoding undone, last applied first.
 * Throws (before reading anything) for a coding kimi-vision cannot decode.
 */
export function decodedBody(res: { headers: Headers; body: Readable }, host: string): Readable {
  const codings = contentCodings(header(res.headers, 'content-encoding'));
  if (codings.length === 0) return res.body;
  const unreadable = unreadableCoding(codings);
  if (unreadable !== undefined) throw unreadableEncoding(host, unreadable);
  const zlib = process.getBuiltinModule('node:zlib');
  const stages = [...codings].reverse().map((c) => (c === 'br' ? zlib.createBrotliDecompress() : zlib.createUnzip()));
  // pipeline destroys every stage when one fails or the reader stops early; the reader sees the
  // error on the last stage, so the callback has nothing to add.
  return nodeStream().pipeline([res.body, ...stages], () => undefined) as unknown as Readable;
}

function unreadableEncoding(host: string, coding: string): NetworkError {
  return new NetworkError(
    'bad_encoding',
    `${host} answered with content encoding ${coding}, which kimi-vision cannot read (it asked for identity).`,
    'A proxy or gateway between kimi-vision and the API may be re-encoding answers: check --base-url and HTTPS_PROXY.',
    false,
    false,
  );
}

/** At most `max` bytes of the body; `cut` when there was more (the rest is not read). */
export async function readUpTo(body: AsyncIterable<Uint8Array>, max: number): Promise<{ bytes: Buffer; cut: boolean }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = max - size;
    if (chunk.length > room) {
      parts.push(chunk.subarray(0, room));
      return { bytes: Buffer.concat(parts, max), cut: true };
    }
    parts.push(chunk);
    size += chunk.length;
  }
  return { bytes: Buffer.concat(parts, size), cut: false };
}

/** The whole body, refused once it is over `max` bytes: `what` names the document for the message. */
export async function readAtMost(body: AsyncIterable<Uint8Array>, max: number, host: string, what: string): Promise<Buffer> {
  const { bytes, cut } = await readUpTo(body, max);
  if (cut) throw tooLarge(host, what, max);
  return bytes;
}

function tooLarge(host: string, what: string, max: number): NetworkError {
  return new NetworkError(
    'too_large',
    `${host} sent ${what} larger than ${binarySize(max)}, more than kimi-vision reads; it stopped reading.`,
    'The API sends nothing this large: check --base-url, and any proxy or gateway in between.',
    false,
    false,
  );
}

/** A limit as the README writes it: 64 KiB, 16 MiB (the limits are whole KiB or MiB). */
export function binarySize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB`;
  const kib = bytes / 1024;
  return Number.isInteger(kib) ? `${kib} KiB` : `${bytes} bytes`;
}

/**
 * Stops reading a body and lets its connection go. undici's body, destroyed before it ended, emits
 * an 'error' (RequestAbortedError) that nobody may be listening for: it is expected, not a failure.
 */
export function closeBody(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

/** What may follow an answer's end on its connection before the connection is given up. */
const AFTER_END_BYTES = 64 * 1024;
const AFTER_END_MS = 1000;

/**
 * After the answer ended (`[DONE]`): what is left of the body (the end of the chunked stream,
 * usually there already) is read, so that the connection goes back to the pool without an error
 * being made; a server that goes on sending is cut off after 64 KiB or a second (closeBody).
 */
export function drainBody(body: Readable): void {
  if (body.destroyed || body.readableEnded) return;
  body.on('error', () => undefined);
  let left = AFTER_END_BYTES;
  const timer = setTimeout(() => closeBody(body), AFTER_END_MS);
  timer.unref();
  body.on('data', (chunk: Uint8Array) => {
    left -= chunk.length;
    if (left < 0) closeBody(body);
  });
  // 'close' follows 'end' (autoDestroy) as it follows a destroy.
  body.once('close', () => clearTimeout(timer));
  body.resume();
}
