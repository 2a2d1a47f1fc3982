// Reading response bodies: the Content-Encoding undone (or refused by name), and every read bounded.
import { Readable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mediaType } from '../../src/api/headers.js';
import { binarySize, contentCodings, decodedBody, drainBody, readAtMost, readUpTo, unreadableCoding } from '../../src/api/read-body.js';
import { parseSse } from '../../src/api/sse.js';
import { NetworkError } from '../../src/errors.js';

const res = (bytes: Buffer | Buffer[], encoding?: string) => ({
  headers: encoding === undefined ? {} : { 'content-encoding': encoding },
  body: Readable.from(Array.isArray(bytes) ? bytes : [bytes]),
});
const TEXT = Buffer.from('{"choices":[{"index":0,"message":{"content":"你好, world"}}]}'.repeat(50));

describe('contentCodings / unreadableCoding', () => {
  it.each([
    [undefined, [], undefined],
    ['', [], undefined],
    ['identity', [], undefined],
    ['gzip', ['gzip'], undefined],
    ['GZip', ['gzip'], undefined],
    ['x-gzip', ['x-gzip'], undefined],
    ['deflate, br', ['deflate', 'br'], undefined],
    [' br ,identity', ['br'], undefined],
    ['x-weird', ['x-weird'], 'x-weird'],
    ['gzip, zstd', ['gzip', 'zstd'], 'zstd'],
  ])('%j -> %j (unreadable: %s)', (header, codings, unreadable) => {
    expect(contentCodings(header)).toEqual(codings);
    expect(unreadableCoding(contentCodings(header))).toBe(unreadable);
  });
});

describe('mediaType', () => {
  it.each([
    [{ 'content-type': 'text/event-stream' }, 'text/event-stream'],
    [{ 'content-type': 'Text/Event-Stream; Charset=UTF-8' }, 'text/event-stream'],
    [{ 'content-type': ' APPLICATION/JSON ;charset=utf-8' }, 'application/json'],
    [{ 'content-type': ['text/html', 'text/plain'] }, 'text/html'],
    [{}, ''],
  ])('%j -> %s', (headers, type) => expect(mediaType(headers)).toBe(type));
});

describe('decodedBody', () => {
  const read = async (r: ReturnType<typeof res>) => (await readUpTo(decodedBody(r, 'h'), 1 << 20)).bytes;

  it.each([
    ['no encoding', (b: Buffer) => b, undefined],
    ['identity', (b: Buffer) => b, 'identity'],
    ['gzip', gzipSync, 'gzip'],
    ['x-gzip', gzipSync, 'x-gzip'],
    ['deflate (zlib)', deflateSync, 'deflate'],
    ['br', brotliCompressSync, 'br'],
    ['gzip then br', (b: Buffer) => brotliCompressSync(gzipSync(b)), 'gzip, br'],
  ])('%s: the original bytes', async (_name, encode, header) => {
    expect((await read(res(encode(TEXT), header))).equals(TEXT)).toBe(true);
  });

  it('split into small reads: the same bytes', async () => {
    const z = gzipSync(TEXT);
    const pieces = Array.from({ length: Math.ceil(z.length / 7) }, (_, i) => z.subarray(i * 7, i * 7 + 7));
    expect((await read(res(pieces, 'gzip'))).equals(TEXT)).toBe(true);
  });

  it('an encoding it cannot read is refused by name before anything is read', () => {
    const e = (() => {
      try {
        decodedBody(res(TEXT, 'x-weird'), 'api.test');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).message).toBe('api.test answered with content encoding x-weird, which kimi-vision cannot read (it asked for identity).');
    expect((e as NetworkError).retryable).toBe(false);
  });

  it('bytes that are not what the header says fail with a zlib code, as a typed error reads it', async () => {
    const err = await read(res(TEXT, 'gzip')).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toMatch(/^Z_/);
  });

  it('a decompression bomb stops at the reader limit: 64 MiB of zeros in ~64 KiB of gzip, read to 1 MiB', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const { bytes, cut } = await readUpTo(decodedBody(res(bomb, 'gzip'), 'h'), 1 << 20);
    expect(cut).toBe(true);
    expect(bytes.length).toBe(1 << 20);
  });
});

describe('readUpTo / readAtMost', () => {
  const chunks = (...sizes: number[]) => Readable.from(sizes.map((n, i) => Buffer.alloc(n, 97 + i)));

  it.each([
    [[3, 4], 10, 7, false],
    [[3, 4], 7, 7, false],
    [[3, 4, 1], 7, 7, true],
    [[3, 4], 5, 5, true],
    [[], 5, 0, false],
  ])('chunks %j, limit %i: %i bytes, cut %s', async (sizes, max, length, cut) => {
    const read = await readUpTo(chunks(...sizes), max);
    expect([read.bytes.length, read.cut]).toEqual([length, cut]);
  });

  it('keeps the bytes in order across chunks, and cuts inside a chunk', async () => {
    expect((await readUpTo(chunks(2, 3), 4)).bytes.toString()).toBe('aabb');
  });

  it('readAtMost refuses a body over its limit, naming the host, the document and the limit; not retryable', async () => {
    const err = await readAtMost(chunks(10, 10), 16, 'api.test', 'a JSON document').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toBe('api.test sent a JSON document larger than 16 bytes, more than kimi-vision reads; it stopped reading.');
    expect((err as NetworkError).retryable).toBe(false);
    expect((await readAtMost(chunks(8, 8), 16, 'h', 'x')).length).toBe(16);
  });
});

describe('binarySize', () => {
  it.each([
    [64 * 1024, '64 KiB'],
    [16 * 1024 * 1024, '16 MiB'],
    [500 * 1024 * 1024, '500 MiB'],
    [1536, '1536 bytes'],
    [16, '16 bytes'],
  ])('%i -> %s', (n, text) => expect(binarySize(n)).toBe(text));
});

describe('parseSse on a stream, then drainBody: what follows [DONE]', () => {
  const events = (n: number) => Array.from({ length: n }, (_, i) => `data: {"choices":[{"delta":{"content":"${i}"}}]}\n\n`);

  it('stopping at [DONE] leaves the stream to the caller, and drainBody reads its end without an error', async () => {
    const body = Readable.from([...events(2), 'data: [DONE]\n\n', ': the end of the chunked stream\n'].map((s) => Buffer.from(s)));
    const errors: unknown[] = [];
    body.on('error', (e) => errors.push(e));
    const seen: unknown[] = [];
    for await (const e of parseSse(body)) seen.push(e);
    expect(seen).toHaveLength(2);
    expect(body.destroyed).toBe(false);
    drainBody(body);
    await new Promise((resolve) => body.once('close', resolve));
    expect([body.readableEnded, errors]).toEqual([true, []]);
  });

  it('a server that goes on sending after [DONE] is cut off after 64 KiB', async () => {
    let sent = 0;
    const body = new Readable({
      read() {
        sent += 8192;
        this.push(Buffer.alloc(8192, 0x20));
      },
    });
    body.push('data: [DONE]\n\n');
    for await (const _ of parseSse(body)) throw new Error('no event was sent');
    drainBody(body);
    await new Promise((resolve) => body.once('close', resolve));
    expect(body.destroyed).toBe(true);
    expect(sent).toBeLessThan(256 * 1024); // 64 KiB, and what the stream had buffered ahead
  });
});
