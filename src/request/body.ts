// The request body as a stream: JSON head, each image base64-encoded from disk in chunks, tail.
// Its exact size is known before the first byte is sent, and it can be re-created for a retry.
import { fileChunks, fileChunksSync } from '../inputs/chunks.js';
import type { Image } from '../inputs/image.js';
import { InputError } from '../errors.js';
import { hashAlong, readError } from '../inputs/read.js';
import type { Message } from './messages.js';

import { base64Length, MAX_BODY_BYTES } from '../limits.js';

export interface BodyPlan {
  /** Literal JSON pieces and the images between them, in order. */
  segments: (Buffer | Image)[];
  bytes: number;
}

const urlPrefix = (img: Image) => `"data:${img.mime};base64,`;
const mediaBytes = (img: Image) => Buffer.byteLength(urlPrefix(img)) + base64Length(img.bytes) + 1;

/**
 * Lays out `{...params, messages}` as JSON with every media part's URL left as a hole to fill from
 * disk. Media parts become `{"type":"image_url","image_url":{"url":…}}` (or video_url for videos).
 */
export function planBody(params: Record<string, unknown>, messages: readonly Message[]): BodyPlan {
  // Only has to differ from anything in the messages: no need to load node:crypto for it.
  const nonce = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const holes: Image[] = [];
  const wire = messages.map((m) =>
    typeof m.content === 'string'
      ? m
      : {
          ...m,
          content: m.content.map((p) => {
            if (p.type !== 'media') return p;
            const placeholder = p.url ?? `kv-media-${nonce}-${holes.push(p.image) - 1}`;
            return p.image.kind === 'video' ? { type: 'video_url', video_url: { url: placeholder } } : { type: 'image_url', image_url: { url: placeholder } };
          }),
        },
  );
  const json = JSON.stringify({ ...params, messages: wire });
  // The holes appear in the JSON in the order they were made (a plain search: a RegExp per body
  // is compiled to code per nonce, which --each paid for every image).
  const segments: (Buffer | Image)[] = [];
  let last = 0;
  holes.forEach((img, i) => {
    const placeholder = `"kv-media-${nonce}-${i}"`;
    const at = json.indexOf(placeholder, last);
    segments.push(Buffer.from(json.slice(last, at)), img);
    last = at + placeholder.length;
  });
  segments.push(Buffer.from(json.slice(last)));
  const bytes = segments.reduce((n, s) => n + (Buffer.isBuffer(s) ? s.length : mediaBytes(s)), 0);
  return { segments, bytes };
}

export function checkBodySize(plan: BodyPlan): void {
  if (plan.bytes > MAX_BODY_BYTES) {
    const mb = (plan.bytes / 1024 / 1024).toFixed(1);
    throw new InputError(`the request would be ${mb} MB; the API takes at most 100 MB.`, 'Send fewer images at once (--each sends one request per image), or shrink them.');
  }
}

/**
 * Images are read 720 KiB at a time and sent as base64 strings of 96 KiB (72 KiB of image, a
 * multiple of 3, so each piece encodes alone), which undici writes to the socket one after another.
 * Strings, not Buffers: a Buffer's memory is outside V8's heap and is collected only when the heap
 * needs a collection or 64 MB of it has piled up, so a body of Buffers made a run's peak RSS depend on
 * how much else the run allocated (+40 MB with a leaner undici). 96 KiB, not a string per read: a
 * string of over 128 KiB goes to V8's large-object space (collected by full GCs only), and Node keeps
 * one of over ~1,008 KiB outside the heap; small strings die young, and encode at 3-4 GB/s (720 KiB
 * ones at 0.7).
 */
const PIECE = 72 * 1024;
const READ = 10 * PIECE;

/** Read buffers reused across images (--each sends thousands). */
const spare: Buffer[] = [];

/**
 * A body this small is sent as one string: one write to the socket, where its pieces were five.
 * (A string under 128 KiB is an ordinary young object in V8's heap, gone at the next scavenge; a
 * Buffer of its own would be memory outside the heap, freed only when the heap next collects.)
 */
const WHOLE = 96 * 1024;

/**
 * Streams the body: JSON pieces as bytes, base64 as (ASCII) strings; a small body as one string
 * (strings go out as UTF-8, as the transport writes them).
 * Fails with an InputError if a file changed size or cannot be read since it was read. One generator, no generator delegating to another:
 * with a generator per level (and the transport's own wrapper), each request's body outlived two
 * young-generation collections and was promoted, so --each's memory grew with the run (V8 sizes the
 * young generation by what survives it).
 */
export async function* bodyChunks(plan: BodyPlan): AsyncGenerator<Uint8Array | string> {
  if (plan.bytes <= WHOLE) {
    yield wholeBody(plan);
    return;
  }
  for (const seg of plan.segments) {
    if (Buffer.isBuffer(seg)) {
      yield seg;
      continue;
    }
    yield urlPrefix(seg);
    if (seg.source.kind === 'memory') {
      const data = memoryData(seg.source.data);
      for (let at = 0; at < data.length; at += PIECE) yield piece(data, at);
      yield '"';
      continue;
    }
    let total = 0;
    // A file smaller than a read gets a buffer of its own size (a byte more, to see it grow), read
    // synchronously: --each sends thousands of small images, 16 at a time, and a 720 KiB read buffer
    // each was megabytes of garbage per round.
    const small = seg.bytes < READ;
    const buffer = small ? Buffer.allocUnsafe(seg.bytes + 1) : (spare.pop() ?? Buffer.allocUnsafe(READ));
    const hash = hashAlong(seg);
    try {
      if (small) {
        for (const chunk of fileChunksSync(seg.source.file, buffer)) {
          total += chunk.length;
          if (total > seg.bytes) break;
          hash?.update(chunk);
          for (let at = 0; at < chunk.length; at += PIECE) yield piece(chunk, at);
        }
      } else {
        for await (const chunk of fileChunks(seg.source.file, buffer)) {
          total += chunk.length;
          if (total > seg.bytes) break;
          hash?.update(chunk);
          for (let at = 0; at < chunk.length; at += PIECE) yield piece(chunk, at);
        }
      }
    } catch (err) {
      // Read when the run was planned, unreadable now (removed, chmod, replaced): an input error naming
      // the file. The transport passes a KvError from the body through as it is, and no retry can fix it.
      throw readError(err, seg.path, true);
    } finally {
      if (!small && spare.length < 4) spare.push(buffer);
    }
    checkUnchanged(seg, total);
    hash?.done();
    yield '"';
  }
}

/** A small body as one (flat) string, its files read synchronously. */
function wholeBody(plan: BodyPlan): string {
  const out: string[] = [];
  for (const seg of plan.segments) {
    if (Buffer.isBuffer(seg)) {
      out.push(seg.toString('utf8')); // JSON text, UTF-8 both ways: the same bytes go out
      continue;
    }
    let data: Buffer;
    if (seg.source.kind === 'memory') data = memoryData(seg.source.data);
    else {
      const buffer = Buffer.allocUnsafe(seg.bytes + 1);
      let total = 0;
      try {
        for (const chunk of fileChunksSync(seg.source.file, buffer)) total += chunk.length;
      } catch (err) {
        throw readError(err, seg.path, true);
      }
      checkUnchanged(seg, total);
      data = buffer.subarray(0, total);
      const hash = hashAlong(seg);
      hash?.update(data);
      hash?.done();
    }
    out.push(urlPrefix(seg), data.toString('base64'), '"');
  }
  // Joined, not concatenated: a concatenation is a tree of pieces, which the transport's byte count
  // and its write would each flatten into a copy.
  return out.join('');
}

const memoryData = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.length);

/** PIECE bytes of `data` from `at`, as base64: made one at a time, as the socket takes them (all of
 *  a read's ten at once held a megabyte more in flight, and a big body peaked 14 MB higher). */
const piece = (data: Buffer, at: number): string => data.toString('base64', at, Math.min(at + PIECE, data.length));

function checkUnchanged(img: Image, total: number): void {
  if (total !== img.bytes) {
    throw new InputError(`${img.path}: changed while being sent (${img.bytes} bytes when read, ${total} now).`, 'Run again once the file is stable.');
  }
}

/** The body as the transport takes it (api/client.ts Body): its size and a fresh stream per attempt. */
export function bodySource(plan: BodyPlan): { bytes: number; chunks: () => AsyncIterable<Uint8Array | string>; whole?: () => string } {
  return plan.bytes <= WHOLE ? { bytes: plan.bytes, chunks: () => bodyChunks(plan), whole: () => wholeBody(plan) } : { bytes: plan.bytes, chunks: () => bodyChunks(plan) };
}

/** The whole body as one string: for small requests, tests and the estimate endpoint. */
export async function bodyToString(plan: BodyPlan): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of bodyChunks(plan)) parts.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  return Buffer.concat(parts).toString('utf8');
}
