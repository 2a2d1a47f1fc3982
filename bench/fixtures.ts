// Generated bench inputs under bench/.work/ (gitignored): random-noise PNG and JPEG files with a valid
// header (signature, dimensions), sized exactly. Noise is enough: the CLI and the emulator check magic
// bytes, MIME and header dimensions, never pixels. Reused across runs while sizes match.
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORK = fileURLToPath(new URL('./.work/', import.meta.url));
export const MB = 1024 * 1024;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG: signature + IHDR; the rest of the file is one IDAT chunk of noise, then IEND. */
function pngParts(width: number, height: number, total: number): { head: Buffer; noise: number; tail: Buffer } {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const tail = Buffer.concat([Buffer.alloc(4), pngChunk('IEND', Buffer.alloc(0))]); // IDAT crc (not checked) + IEND
  const fixed = sig.length + 25 + 8 + tail.length;
  const noise = total - fixed;
  const idatHead = Buffer.alloc(8);
  idatHead.writeUInt32BE(noise, 0);
  idatHead.write('IDAT', 4, 'latin1');
  return { head: Buffer.concat([sig, pngChunk('IHDR', ihdr), idatHead]), noise, tail };
}

/** JPEG: SOI, JFIF APP0, SOF0 with the dimensions, SOS, noise, EOI. */
function jpegParts(width: number, height: number, total: number): { head: Buffer; noise: number; tail: Buffer } {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00]);
  const head = Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, sos]);
  const tail = Buffer.from([0xff, 0xd9]);
  return { head, noise: total - head.length - tail.length, tail };
}

export type Kind = 'png' | 'jpeg';

/** Writes one noise image of exactly `bytes` bytes. */
function writeNoiseImage(file: string, kind: Kind, bytes: number, width: number, height: number): void {
  const { head, noise, tail } = kind === 'png' ? pngParts(width, height, bytes) : jpegParts(width, height, bytes);
  if (noise < 0) throw new Error(`${file}: ${bytes} bytes is too small for a ${kind} header`);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    const block = Buffer.allocUnsafe(Math.min(MB, Math.max(noise, 1)));
    for (let left = noise; left > 0; ) {
      const n = Math.min(left, block.length);
      randomFillSync(block, 0, n);
      // 0xFF in JPEG scan data would read as a marker; the parsers stop at SOF, but keep it clean.
      if (kind === 'jpeg') for (let i = 0; i < n; i++) if (block[i] === 0xff) block[i] = 0xfe;
      writeSync(fd, block, 0, n);
      left -= n;
    }
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
}

export interface ImageSet {
  dir: string;
  files: string[];
  totalBytes: number;
}

/**
 * A folder of `count` noise images of `bytes` each (PNG and JPEG alternating unless `kind` is given),
 * reused when it already holds exactly those files.
 */
export function imageSet(name: string, count: number, bytes: number, o: { kind?: Kind; width?: number; height?: number } = {}): ImageSet {
  const dir = path.join(WORK, name);
  const width = o.width ?? 1920;
  const height = o.height ?? 1080;
  const names = Array.from({ length: count }, (_, i) => {
    const kind: Kind = o.kind ?? (i % 2 === 0 ? 'png' : 'jpeg');
    return { file: path.join(dir, `img-${String(i).padStart(5, '0')}.${kind === 'png' ? 'png' : 'jpg'}`), kind };
  });
  const fresh = existsSync(dir) && readdirSync(dir).length === count && names.every((n) => existsSync(n.file) && statSync(n.file).size === bytes);
  if (!fresh) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const n of names) writeNoiseImage(n.file, n.kind, bytes, width, height);
  }
  return { dir, files: names.map((n) => n.file), totalBytes: count * bytes };
}
