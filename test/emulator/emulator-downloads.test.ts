// The web server beside the API for URL inputs: a fixture served whole, trickled, or without end.

import { readFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from './types.js';
import { closeAll, emulator, readSome, waitFor } from './testkit.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(closeAll);

const small = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'small.png'));

function open(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => httpGet(url, resolve).on('error', reject));
}

async function whole(res: IncomingMessage): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  for await (const piece of res) pieces.push(piece as Buffer);
  return pieces;
}

describe('downloads', () => {
  it('serves a fixture whole with its type and length, without a key', async () => {
    const url = emu.downloadUrl('small.png');
    expect(url).toBe(`${emu.baseUrl.replace(/\/v1$/, '')}/downloads/whole/small.png`);
    const res = await open(url);
    expect([res.statusCode, res.headers['content-type'], res.headers['content-length']]).toEqual([200, 'image/png', String(small.length)]);
    expect(Buffer.concat(await whole(res)).equals(small)).toBe(true);
  });

  it('trickles a fixture: a few bytes per write, the announced length, the total time at least as asked', async () => {
    const started = Date.now();
    const res = await open(emu.downloadUrl('small.png', 'trickle', { everyMs: 50, seconds: 1 }));
    expect(res.headers['content-length']).toBe(String(small.length));
    const pieces = await whole(res);
    const elapsed = Date.now() - started;
    expect(Buffer.concat(pieces).equals(small)).toBe(true);
    // 1 s at one write every 50 ms: 20 writes of ceil(309 / 20) = 16 bytes, 19 pauses between them.
    expect(pieces.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(32);
    expect(elapsed).toBeGreaterThanOrEqual(19 * 50);
  });

  it('serves the fixture and then filler bytes without end, until the client closes', async () => {
    const e = await emulator();
    const res = await open(e.downloadUrl('small.png', 'endless', { everyMs: 10, bytes: 8 }));
    expect([res.statusCode, res.headers['content-type'], res.headers['content-length']]).toEqual([200, 'image/png', undefined]);
    const got = await readSome(res, small.length + 80);
    expect(got.subarray(0, small.length).equals(small)).toBe(true);
    expect(got.subarray(small.length).every((b) => b === 0)).toBe(true);
    await waitFor(() => e.requests[0]?.endedAt !== undefined);
  });

  it('with every=0 sends as fast as the client reads', async () => {
    const e = await emulator();
    const res = await open(e.downloadUrl('photo.jpg', 'endless', { everyMs: 0 }));
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect((await readSome(res, 32 * 1024 * 1024)).length).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    await waitFor(() => e.requests[0]?.endedAt !== undefined);
  });

  it.each(['/downloads/whole/missing.png', '/downloads/slowly/small.png', '/downloads/whole/..%2F..%2Fpackage.json', '/downloads/whole/'])('answers 404 to %s', async (path) => {
    const res = await open(`${emu.baseUrl.replace(/\/v1$/, '')}${path}`);
    expect(res.statusCode).toBe(404);
    expect(Buffer.concat(await whole(res)).toString('utf8')).toBe('404 page not found\n');
  });
});
