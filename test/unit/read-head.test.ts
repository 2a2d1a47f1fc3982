// readFileOnce keeps only a short copy of a large file's head when that is enough to size it, and the
// whole first chunk when it is not: whatever it keeps, the image's type and size come out the same as
// from the full 256 KiB prefix (the token estimate depends on them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInputs } from '../../src/inputs/resolve.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kv-head-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const be16 = (n: number) => [n >> 8, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const fill = (n: number, byte = 0x11) => Buffer.alloc(n, byte);

/** A JPEG segment: marker, big-endian length, data. */
const segment = (marker: number, data: Buffer) => Buffer.concat([Buffer.from([0xff, marker, ...be16(data.length + 2)]), data]);
const sof = (height: number, width: number) => segment(0xc0, Buffer.from([8, ...be16(height), ...be16(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
const jpeg = (...parts: Buffer[]) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...parts, Buffer.from([0xff, 0xda]), fill(300_000, 0x42), Buffer.from([0xff, 0xd9])]);

function png(width: number, height: number, size: number): Buffer {
  const ihdr = Buffer.from([...be32(13), ...Buffer.from('IHDR'), ...be32(width), ...be32(height), 8, 6, 0, 0, 0, 0, 0, 0, 0]);
  const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
  return Buffer.concat([head, fill(size - head.length)]);
}

const cases: Array<[string, Buffer, string, { width: number; height: number }]> = [
  ['a 1 MB PNG', png(1920, 1080, 1024 * 1024), 'image/png', { width: 1920, height: 1080 }],
  ['a JPEG with its frame header at the start', jpeg(sof(768, 1024)), 'image/jpeg', { width: 1024, height: 768 }],
  // Four 60 KB APP segments (an EXIF/ICC/XMP pile) put the frame header at ~240 KiB: past the short head.
  [
    'a JPEG with 240 KB of APP segments before its frame header',
    jpeg(...Array.from({ length: 4 }, () => segment(0xe2, fill(60_000))), sof(3000, 4000)),
    'image/jpeg',
    { width: 4000, height: 3000 },
  ],
];

describe('the head kept of a large file', () => {
  it.each(cases)('%s: type and size as the full prefix gives them, hashed now or later', async (name, data, mime, dimensions) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.bin`);
    writeFileSync(file, data);
    for (const deferHash of [false, true]) {
      const [img] = await resolveInputs([file], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash });
      expect(img?.mime).toBe(mime);
      expect(img?.dimensions).toEqual(dimensions);
      expect(img?.bytes).toBe(data.length);
    }
  });
});
