// Magic-byte sniffing and image dimensions, read from headers only.

type MediaKind = 'image' | 'video' | 'other';

export interface Sniffed {
  kind: MediaKind;
  /** The detected type, e.g. image/png, or a Go-style guess like "text/plain; charset=utf-8". */
  mime: string;
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'heif']);

function ascii(buf: Buffer, start: number, end: number): string {
  return buf.subarray(start, end).toString('latin1');
}

/** What the bytes are. Unknown data is described like Go's http.DetectContentType. */
export function sniffMedia(buf: Buffer): Sniffed {
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a) {
    return { kind: 'image', mime: 'image/png' };
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return { kind: 'image', mime: 'image/jpeg' };
  const six = ascii(buf, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return { kind: 'image', mime: 'image/gif' };
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF') {
    const form = ascii(buf, 8, 12);
    if (form === 'WEBP') return { kind: 'image', mime: 'image/webp' };
    if (form === 'AVI ') return { kind: 'video', mime: 'video/x-msvideo' };
  }
  if (buf.length >= 26 && ascii(buf, 0, 2) === 'BM') return { kind: 'image', mime: 'image/bmp' };
  if (buf.length >= 12 && ascii(buf, 4, 8) === 'ftyp') {
    const brand = ascii(buf, 8, 12);
    if (HEIC_BRANDS.has(brand)) return { kind: 'image', mime: 'image/heic' };
    if (HEIF_BRANDS.has(brand)) return { kind: 'image', mime: 'image/heif' };
    if (brand === 'avif' || brand === 'avis') return { kind: 'other', mime: 'image/avif' };
    if (brand === 'qt  ') return { kind: 'video', mime: 'video/quicktime' };
    return { kind: 'video', mime: 'video/mp4' };
  }
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x1a45dfa3) {
    const head = ascii(buf, 0, Math.min(buf.length, 64));
    return { kind: 'video', mime: head.includes('webm') ? 'video/webm' : 'video/x-matroska' };
  }
  return { kind: 'other', mime: describeUnknown(buf) };
}

function describeUnknown(buf: Buffer): string {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x00000100) return 'image/x-icon';
  if (ascii(buf, 0, 4) === 'II*\0' || ascii(buf, 0, 4) === 'MM\0*') return 'image/tiff';
  if (ascii(buf, 0, 5) === '%PDF-') return 'application/pdf';
  const head = buf.subarray(0, 512);
  const text = head.toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<?xml')) return 'text/xml; charset=utf-8';
  if (/^<(!doctype html|html|head|body|script|div|p|a|h1|table|title)[\s>]/.test(text)) return 'text/html; charset=utf-8';
  for (const b of head) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) {
      return 'application/octet-stream';
    }
  }
  return 'text/plain; charset=utf-8';
}

export interface Size {
  width: number;
  height: number;
}

/** Width and height from the image header, or undefined when not readable. */
export function imageSize(buf: Buffer, mime: string): Size | undefined {
  try {
    switch (mime) {
      case 'image/png':
        return buf.length >= 24 ? { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) } : undefined;
      case 'image/gif':
        return buf.length >= 10 ? { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) } : undefined;
      case 'image/bmp':
        return { width: Math.abs(buf.readInt32LE(18)), height: Math.abs(buf.readInt32LE(22)) };
      case 'image/webp':
        return webpSize(buf);
      case 'image/jpeg':
        return jpegSize(buf);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function webpSize(buf: Buffer): Size | undefined {
  const chunk = ascii(buf, 12, 16);
  if (chunk === 'VP8 ') {
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const b0 = buf[21] ?? 0,
      b1 = buf[22] ?? 0,
      b2 = buf[23] ?? 0,
      b3 = buf[24] ?? 0;
    return {
      width: 1 + (((b1 & 0x3f) << 8) | b0),
      height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)),
    };
  }
  if (chunk === 'VP8X') {
    return { width: 1 + buf.readUIntLE(24, 3), height: 1 + buf.readUIntLE(27, 3) };
  }
  return undefined;
}

function jpegSize(buf: Buffer): Size | undefined {
  let at = 2;
  while (at + 9 < buf.length) {
    if (buf[at] !== 0xff) return undefined;
    const marker = buf[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = buf.readUInt16BE(at + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: buf.readUInt16BE(at + 5), width: buf.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return undefined;
}
