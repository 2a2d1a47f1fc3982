// Width and height of an image from its leading bytes: no decoding, no dependency. Sizes are as
// displayed: a JPEG with EXIF Orientation 5-8 and a HEIF with a quarter-turn irot are swapped.
// Anything that cannot be read from the prefix gives undefined; no input makes this throw.

export interface Dimensions {
  width: number;
  height: number;
}

/** A prefix long enough for all but exotic files (a JPEG with a huge EXIF/ICC block before SOF). */
export const DIMENSION_BYTES = 256 * 1024;

/** Thrown by the readers below when an offset falls outside the prefix; caught in imageDimensions. */
class OutOfRange extends Error {}

function u8(b: Uint8Array, i: number): number {
  const v = b[i];
  if (v === undefined) throw new OutOfRange();
  return v;
}
const u16be = (b: Uint8Array, i: number): number => (u8(b, i) << 8) | u8(b, i + 1);
const u16le = (b: Uint8Array, i: number): number => u8(b, i) | (u8(b, i + 1) << 8);
const u24le = (b: Uint8Array, i: number): number => u16le(b, i) | (u8(b, i + 2) << 16);
const u32be = (b: Uint8Array, i: number): number => u8(b, i) * 0x1000000 + ((u8(b, i + 1) << 16) | u16be(b, i + 2));
const u32le = (b: Uint8Array, i: number): number => u16le(b, i) + u16le(b, i + 2) * 0x10000;
const i32le = (b: Uint8Array, i: number): number => u32le(b, i) | 0;
const tag = (b: Uint8Array, i: number): string => String.fromCharCode(u8(b, i), u8(b, i + 1), u8(b, i + 2), u8(b, i + 3));

const size = (width: number, height: number, swap = false): Dimensions | undefined => {
  if (!(width > 0 && height > 0)) return undefined;
  return swap ? { width: height, height: width } : { width, height };
};

function png(b: Uint8Array): Dimensions | undefined {
  if (u32be(b, 0) !== 0x89504e47 || u32be(b, 4) !== 0x0d0a1a0a) return undefined;
  let at = 8;
  if (tag(b, at + 4) === 'CgBI') at += 12 + u32be(b, at); // Apple's "optimised" PNG
  if (tag(b, at + 4) !== 'IHDR') return undefined;
  const width = u32be(b, at + 8);
  const height = u32be(b, at + 12);
  return width <= 0x7fffffff && height <= 0x7fffffff ? size(width, height) : undefined;
}

function gif(b: Uint8Array): Dimensions | undefined {
  if (tag(b, 0) !== 'GIF8') return undefined;
  return size(u16le(b, 6), u16le(b, 8));
}

function bmp(b: Uint8Array): Dimensions | undefined {
  if (u8(b, 0) !== 0x42 || u8(b, 1) !== 0x4d) return undefined;
  const header = u32le(b, 14);
  if (header === 12) return size(u16le(b, 18), u16le(b, 20)); // OS/2 BITMAPCOREHEADER
  if (header < 16) return undefined;
  return size(i32le(b, 18), Math.abs(i32le(b, 22))); // negative height: rows stored top-down
}

function webp(b: Uint8Array): Dimensions | undefined {
  if (tag(b, 0) !== 'RIFF' || tag(b, 8) !== 'WEBP') return undefined;
  switch (tag(b, 12)) {
    case 'VP8 ': // lossy: key frame tag (3 bytes), start code 9D 01 2A, 14-bit sizes
      if (u8(b, 23) !== 0x9d || u8(b, 24) !== 0x01 || u8(b, 25) !== 0x2a) return undefined;
      return size(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
    case 'VP8L': {
      if (u8(b, 20) !== 0x2f) return undefined;
      const bits = u32le(b, 21);
      return size((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    case 'VP8X': // extended: the canvas, 24-bit sizes minus one
      return size(u24le(b, 24) + 1, u24le(b, 27) + 1);
    default:
      return undefined;
  }
}

const JPEG_NOT_SOF = new Set([0xc4, 0xc8, 0xcc]); // DHT, JPG, DAC share the SOF range

function jpeg(b: Uint8Array): Dimensions | undefined {
  if (u8(b, 0) !== 0xff || u8(b, 1) !== 0xd8) return undefined;
  let orientation = 1;
  let at = 2;
  for (;;) {
    if (u8(b, at) !== 0xff) return undefined;
    while (u8(b, at) === 0xff) at++; // fill bytes
    const marker = u8(b, at++);
    if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or scan data before any SOF
    const length = u16be(b, at);
    if (length < 2) return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && !JPEG_NOT_SOF.has(marker)) {
      const swap = orientation >= 5 && orientation <= 8;
      return size(u16be(b, at + 5), u16be(b, at + 3), swap); // precision, height, width
    }
    if (marker === 0xe1) orientation = exifOrientation(b.subarray(at + 2, at + length)) ?? orientation;
    at += length;
  }
}

/** IFD0 Orientation (tag 0x0112) of an APP1 segment body, if it is Exif and has one. */
function exifOrientation(app1: Uint8Array): number | undefined {
  if (tag(app1, 0) !== 'Exif' || u8(app1, 4) !== 0 || u8(app1, 5) !== 0) return undefined;
  const tiff = app1.subarray(6);
  const order = tag(tiff, 0).slice(0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const u16 = order === 'II' ? u16le : u16be;
  const u32 = order === 'II' ? u32le : u32be;
  if (u16(tiff, 2) !== 42) return undefined;
  const ifd = u32(tiff, 4);
  const count = u16(tiff, ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(tiff, entry) === 0x0112) return u16(tiff, entry + 8);
  }
  return undefined;
}

interface Box {
  type: string;
  body: number; // where the contents start
  end: number; // where the box ends (may lie past the prefix)
}

/** The ISO BMFF boxes between `from` and `to`, as far as the prefix reaches. */
function* boxes(b: Uint8Array, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= Math.min(to, b.length)) {
    let length = u32be(b, at);
    let body = at + 8;
    if (length === 1) {
      length = u32be(b, at + 8) * 0x100000000 + u32be(b, at + 12);
      body = at + 16;
    } else if (length === 0) {
      length = to - at; // to the end of the parent
    }
    if (length < body - at) return;
    yield { type: tag(b, at + 4), body, end: at + length };
    at += length;
  }
}

const find = (b: Uint8Array, type: string, from: number, to: number): Box | undefined => {
  for (const box of boxes(b, from, to)) if (box.type === type) return box;
  return undefined;
};

/** Item ids and the (1-based) ipco property indexes associated with each, from ipma. */
function associations(b: Uint8Array, ipma: Box): Map<number, number[]> {
  const version = u8(b, ipma.body);
  const wide = (u8(b, ipma.body + 3) & 1) === 1;
  const out = new Map<number, number[]>();
  let at = ipma.body + 8;
  const entries = u32be(b, ipma.body + 4);
  for (let e = 0; e < entries && at < ipma.end; e++) {
    const item = version < 1 ? u16be(b, at) : u32be(b, at);
    at += version < 1 ? 2 : 4;
    const count = u8(b, at++);
    const props: number[] = [];
    for (let i = 0; i < count; i++) {
      props.push(wide ? u16be(b, at) & 0x7fff : u8(b, at) & 0x7f);
      at += wide ? 2 : 1;
    }
    out.set(item, props);
  }
  return out;
}

/** HEIF/HEIC: the primary item's ispe (and irot), else the largest ispe in meta/iprp/ipco. */
function heif(b: Uint8Array): Dimensions | undefined {
  if (tag(b, 4) !== 'ftyp') return undefined;
  const meta = find(b, 'meta', 0, b.length);
  if (!meta) return undefined;
  const metaBody = meta.body + 4; // full box: version and flags
  const iprp = find(b, 'iprp', metaBody, meta.end);
  const ipco = iprp && find(b, 'ipco', iprp.body, iprp.end);
  if (!ipco) return undefined;

  const props = [...boxes(b, ipco.body, ipco.end)];
  const ispe = (box: Box | undefined): Dimensions | undefined => (box?.type === 'ispe' ? size(u32be(b, box.body + 4), u32be(b, box.body + 8)) : undefined);

  const pitm = find(b, 'pitm', metaBody, meta.end);
  const ipma = find(b, 'ipma', iprp.body, iprp.end);
  if (pitm && ipma) {
    const primary = u8(b, pitm.body) === 0 ? u16be(b, pitm.body + 4) : u32be(b, pitm.body + 4);
    const own = (associations(b, ipma).get(primary) ?? []).map((i) => props[i - 1]);
    const found = own.map(ispe).find((d) => d !== undefined);
    if (found) {
      const irot = own.find((p) => p?.type === 'irot');
      return size(found.width, found.height, irot !== undefined && (u8(b, irot.body) & 1) === 1);
    }
  }
  let largest: Dimensions | undefined;
  for (const box of props) {
    const d = ispe(box);
    if (d && (!largest || d.width * d.height > largest.width * largest.height)) largest = d;
  }
  return largest;
}

const READERS = new Map<string, (b: Uint8Array) => Dimensions | undefined>([
  ['image/png', png],
  ['image/jpeg', jpeg],
  ['image/gif', gif],
  ['image/bmp', bmp],
  ['image/webp', webp],
  ['image/heic', heif],
  ['image/heif', heif],
]);

/** Width and height as displayed, from the file's first bytes; undefined when not in the prefix. */
export function imageDimensions(head: Uint8Array, mime: string): Dimensions | undefined {
  const read = READERS.get(mime);
  if (!read) return undefined;
  try {
    return read(head);
  } catch (err) {
    if (err instanceof OutOfRange) return undefined;
    throw err;
  }
}
