import { bytes, fixture, type Part } from '../helpers/bytes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSION_BYTES, imageDimensions, type Dimensions } from '../../src/inputs/dimensions.js';

// ---- byte builders ----
const be16 = (n: number): number[] => [(n >>> 8) & 255, n & 255];
const be32 = (n: number): number[] => [...be16(n >>> 16), ...be16(n & 0xffff)];
const le16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const le24 = (n: number): number[] => [...le16(n & 0xffff), (n >>> 16) & 255];
const le32 = (n: number): number[] => [...le16(n & 0xffff), ...le16(n >>> 16)];
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngHeader = (w: number, h: number): Uint8Array => bytes(PNG_SIG, be32(13), 'IHDR', be32(w), be32(h), [8, 6, 0, 0, 0], be32(0));
const gifHeader = (w: number, h: number): Uint8Array => bytes('GIF89a', le16(w), le16(h), [0xf7, 0, 0]);
const bmpHeader = (w: number, h: number, dib = 40): Uint8Array =>
  dib === 12
    ? bytes('BM', le32(26), zeros(4), le32(26), le32(12), le16(w), le16(h), le16(1), le16(24))
    : bytes('BM', le32(14 + dib), zeros(4), le32(14 + dib), le32(dib), le32(w), le32(h), le16(1), le16(24), zeros(dib - 16));
const webp = (chunk: string, body: readonly number[]): Uint8Array => bytes('RIFF', le32(12 + body.length), 'WEBP', chunk, le32(body.length), body);
const webpVp8 = (w: number, h: number): Uint8Array => webp('VP8 ', [0x30, 1, 0, 0x9d, 0x01, 0x2a, ...le16(w), ...le16(h)]);
const webpVp8l = (w: number, h: number): Uint8Array => webp('VP8L', [0x2f, ...le32(((w - 1) | ((h - 1) << 14)) >>> 0)]);
const webpVp8x = (w: number, h: number): Uint8Array => webp('VP8X', [0x10, 0, 0, 0, ...le24(w - 1), ...le24(h - 1)]);

const segment = (marker: number, ...body: Part[]): Uint8Array => {
  const b = bytes(...body);
  return bytes([0xff, marker], be16(b.length + 2), b);
};
const sof = (w: number, h: number, marker = 0xc0): Uint8Array => segment(marker, [8], be16(h), be16(w), [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
const app0 = segment(0xe0, 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0]);
const exif = (orientation: number, order: 'II' | 'MM'): Uint8Array => {
  const u16 = order === 'II' ? le16 : be16;
  const u32 = order === 'II' ? le32 : be32;
  // IFD0 with two entries: ImageDescription first, then Orientation.
  const tiff = bytes(order, u16(42), u32(8), u16(2), u16(0x010e), u16(2), u32(4), 'abc\0', u16(0x0112), u16(3), u32(1), u16(orientation), [0, 0], u32(0));
  return segment(0xe1, 'Exif\0\0', tiff);
};
const dht = segment(0xc4, [0], zeros(16));
const dqt = segment(0xdb, [0], zeros(64));
const jpeg = (...segments: Uint8Array[]): Uint8Array => bytes([0xff, 0xd8], ...segments, segment(0xda, [1, 1, 0, 0, 0x3f, 0]), [0x12, 0x34, 0xff, 0xd9]);

const box = (type: string, ...body: Part[]): Uint8Array => {
  const b = bytes(...body);
  return bytes(be32(8 + b.length), type, b);
};
const fullBox = (type: string, flags: number, ...body: Part[]): Uint8Array => box(type, [0, 0, 0, flags], ...body);
const ispe = (w: number, h: number): Uint8Array => fullBox('ispe', 0, be32(w), be32(h));
/** ftyp + meta(hdlr, pitm?, iprp(ipco(props), ipma?)) + a little mdat. */
const heif = (props: Uint8Array[], opts: { primary?: number; ipma?: Uint8Array; brand?: string } = {}): Uint8Array =>
  bytes(
    box('ftyp', opts.brand ?? 'heic', be32(0), 'mif1', 'heic'),
    box(
      'meta',
      [0, 0, 0, 0],
      fullBox('hdlr', 0, be32(0), 'pict', zeros(12), [0]),
      opts.primary === undefined ? [] : fullBox('pitm', 0, be16(opts.primary)),
      box('iprp', box('ipco', ...props), opts.ipma ?? []),
    ),
    box('mdat', [1, 2, 3, 4]),
  );
// Item 1 (the full image): ispe #1 and irot #3; item 2 (a tile): ispe #2.
const gridIpma = fullBox('ipma', 0, be32(2), be16(1), [2, 0x81, 0x03], be16(2), [1, 0x82]);

describe('imageDimensions of the fixtures', () => {
  const cases: Array<[string, string, Dimensions]> = [
    ['screenshot.png', 'image/png', { width: 640, height: 400 }],
    ['photo.jpg', 'image/jpeg', { width: 800, height: 600 }], // stored 600x800, EXIF Orientation 6
    ['small.png', 'image/png', { width: 32, height: 24 }],
    ['large.png', 'image/png', { width: 1920, height: 1080 }],
    ['image.webp', 'image/webp', { width: 120, height: 80 }],
    ['anim.gif', 'image/gif', { width: 48, height: 36 }],
    ['image.bmp', 'image/bmp', { width: 64, height: 48 }],
    ['image.heic', 'image/heic', { width: 96, height: 64 }],
    ['jpeg-named.png', 'image/jpeg', { width: 40, height: 30 }],
    ['dir/a.png', 'image/png', { width: 16, height: 16 }],
    ['dir/nested/b.jpg', 'image/jpeg', { width: 16, height: 12 }],
  ];
  it.each(cases)('%s', (name, mime, want) => {
    const file = fixture(name);
    expect(imageDimensions(file, mime)).toEqual(want);
    expect(imageDimensions(file.subarray(0, DIMENSION_BYTES), mime)).toEqual(want);
  });

  it.each([
    ['bad/empty.png', 'image/png'],
    ['bad/truncated.png', 'image/png'],
    ['bad/text-named.png', 'image/png'],
    ['jpeg-named.png', 'image/png'], // the name's type, not the content's
    ['bad/drawing.svg', 'image/svg+xml'],
    ['bad/icon.ico', 'image/x-icon'],
    ['bad/scan.tiff', 'image/tiff'],
    ['video.mp4', 'video/mp4'],
    ['video.mp4', 'image/heic'], // an ISO file with no meta box
    ['clip.webm', 'video/webm'],
  ])('%s as %s has none', (name, mime) => {
    expect(imageDimensions(fixture(name), mime)).toBeUndefined();
  });

  it('never throws on any cut of any fixture', () => {
    const all: Array<[string, string]> = [...cases.map(([n, m]): [string, string] => [n, m]), ['video.mp4', 'image/heif'], ['bad/icon.ico', 'image/bmp']];
    for (const [name, mime] of all) {
      const file = fixture(name);
      const want = imageDimensions(file, mime);
      for (let n = 0; n <= file.length; n += n < 600 ? 1 : 97) {
        const got = imageDimensions(file.subarray(0, n), mime);
        if (got !== undefined) expect(got).toEqual(want);
      }
    }
  });
});

describe('imageDimensions of hand-built headers', () => {
  const cases: Array<[string, Uint8Array, string, Dimensions | undefined]> = [
    ['PNG', pngHeader(1, 1), 'image/png', { width: 1, height: 1 }],
    ['PNG, wide', pngHeader(30000, 2), 'image/png', { width: 30000, height: 2 }],
    ['PNG, Apple CgBI first', bytes(PNG_SIG, be32(4), 'CgBI', [0x50, 0, 0x20, 2], be32(0), pngHeader(7, 9).subarray(8)), 'image/png', { width: 7, height: 9 }],
    ['PNG, width 0', pngHeader(0, 5), 'image/png', undefined],
    ['PNG, width above 2^31-1', pngHeader(0x80000000, 5), 'image/png', undefined],
    ['PNG, no IHDR', bytes(PNG_SIG, be32(13), 'IDAT', be32(1), be32(1)), 'image/png', undefined],
    ['GIF', gifHeader(500, 300), 'image/gif', { width: 500, height: 300 }],
    ['GIF87a', bytes('GIF87a', le16(2), le16(3)), 'image/gif', { width: 2, height: 3 }],
    ['BMP, bottom-up', bmpHeader(640, 480), 'image/bmp', { width: 640, height: 480 }],
    ['BMP, top-down (negative height)', bmpHeader(640, -480), 'image/bmp', { width: 640, height: 480 }],
    ['BMP, V5 header', bmpHeader(33, 44, 124), 'image/bmp', { width: 33, height: 44 }],
    ['BMP, OS/2 core header', bmpHeader(12, 34, 12), 'image/bmp', { width: 12, height: 34 }],
    ['BMP, negative width', bmpHeader(-5, 5), 'image/bmp', undefined],
    ['BMP, tiny header size', bytes('BM', zeros(12), le32(8), le32(5), le32(5)), 'image/bmp', undefined],
    ['WebP VP8', webpVp8(400, 300), 'image/webp', { width: 400, height: 300 }],
    ['WebP VP8 with scaling bits', webpVp8(0x4000 | 400, 0xc000 | 300), 'image/webp', { width: 400, height: 300 }],
    ['WebP VP8 without its start code', webp('VP8 ', zeros(10)), 'image/webp', undefined],
    ['WebP VP8L', webpVp8l(16384, 1), 'image/webp', { width: 16384, height: 1 }],
    ['WebP VP8L, bad signature', webp('VP8L', [0x2e, 0, 0, 0, 0]), 'image/webp', undefined],
    ['WebP VP8X', webpVp8x(16777216, 3), 'image/webp', { width: 16777216, height: 3 }],
    ['WebP, unknown chunk', webp('ALPH', zeros(10)), 'image/webp', undefined],
    ['JPEG, SOF0', jpeg(app0, dqt, sof(1024, 768), dht), 'image/jpeg', { width: 1024, height: 768 }],
    ['JPEG, progressive SOF2', jpeg(app0, sof(3, 2, 0xc2)), 'image/jpeg', { width: 3, height: 2 }],
    ['JPEG, lossless SOF15', jpeg(sof(5, 6, 0xcf)), 'image/jpeg', { width: 5, height: 6 }],
    [
      'JPEG, DHT/JPG/DAC before SOF are skipped',
      jpeg(dht, segment(0xc8, be16(1), be16(1), be16(1)), segment(0xcc, be16(9), be16(9), be16(9)), sof(70, 50)),
      'image/jpeg',
      { width: 70, height: 50 },
    ],
    ['JPEG, fill bytes and a COM segment', bytes([0xff, 0xd8, 0xff, 0xff], segment(0xfe, 'hi'), sof(8, 4)), 'image/jpeg', { width: 8, height: 4 }],
    ['JPEG, EXIF Orientation 6 (II)', jpeg(app0, exif(6, 'II'), sof(600, 800)), 'image/jpeg', { width: 800, height: 600 }],
    ['JPEG, EXIF Orientation 8 (MM)', jpeg(exif(8, 'MM'), sof(600, 800)), 'image/jpeg', { width: 800, height: 600 }],
    ['JPEG, EXIF Orientation 5', jpeg(exif(5, 'MM'), sof(10, 20)), 'image/jpeg', { width: 20, height: 10 }],
    ['JPEG, EXIF Orientation 3 (no swap)', jpeg(exif(3, 'II'), sof(600, 800)), 'image/jpeg', { width: 600, height: 800 }],
    ['JPEG, EXIF Orientation 9 (invalid, no swap)', jpeg(exif(9, 'II'), sof(6, 8)), 'image/jpeg', { width: 6, height: 8 }],
    ['JPEG, APP1 that is XMP, not Exif', jpeg(segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x/>'), sof(6, 8)), 'image/jpeg', { width: 6, height: 8 }],
    ['JPEG, broken EXIF offsets', jpeg(segment(0xe1, 'Exif\0\0II', le16(42), le32(9999)), sof(6, 8)), 'image/jpeg', undefined],
    ['JPEG, scan before any SOF', jpeg(dqt), 'image/jpeg', undefined],
    ['JPEG, height 0 (set by DNL)', jpeg(sof(100, 0)), 'image/jpeg', undefined],
    ['JPEG, segment length below 2', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0, 0]), 'image/jpeg', undefined],
    ['JPEG, garbage where a marker should be', bytes([0xff, 0xd8, 0x00, 0x01, 0x02]), 'image/jpeg', undefined],
    ['HEIC, one ispe', heif([ispe(4032, 3024)]), 'image/heic', { width: 4032, height: 3024 }],
    ['HEIF, largest ispe without pitm/ipma', heif([ispe(512, 512), ispe(4032, 3024), ispe(256, 192)], { brand: 'mif1' }), 'image/heif', { width: 4032, height: 3024 }],
    [
      'HEIC, the primary item, turned by irot',
      heif([ispe(4032, 3024), ispe(512, 512), box('irot', [1])], { primary: 1, ipma: gridIpma }),
      'image/heic',
      { width: 3024, height: 4032 },
    ],
    [
      'HEIC, the primary item, irot of a half turn',
      heif([ispe(4032, 3024), ispe(512, 512), box('irot', [2])], { primary: 1, ipma: gridIpma }),
      'image/heic',
      { width: 4032, height: 3024 },
    ],
    [
      'HEIC, the primary item even when another ispe is larger',
      heif([ispe(4032, 3024), ispe(512, 512), box('irot', [1])], { primary: 2, ipma: gridIpma }),
      'image/heic',
      { width: 512, height: 512 },
    ],
    [
      'HEIC, ipma with 16-bit indexes and version 1 item ids',
      heif([ispe(10, 20), ispe(30, 40)], {
        primary: 7,
        ipma: box('ipma', [1, 0, 0, 1], be32(1), be32(7), [1], be16(0x8002)),
      }),
      'image/heic',
      { width: 30, height: 40 },
    ],
    ['HEIC, primary with no ispe of its own: the largest', heif([ispe(10, 20), ispe(30, 40)], { primary: 3, ipma: gridIpma }), 'image/heic', { width: 30, height: 40 }],
    ['HEIC, no meta', box('ftyp', 'heic', be32(0)), 'image/heic', undefined],
    ['HEIC, meta without iprp', bytes(box('ftyp', 'heic', be32(0)), box('meta', zeros(4))), 'image/heic', undefined],
    ['HEIC, a 64-bit box size', bytes(box('ftyp', 'heic', be32(0)), be32(1), 'free', be32(0x10000), be32(0)), 'image/heic', undefined],
    ['HEIC, a box too small for its header', bytes(box('ftyp', 'heic', be32(0)), be32(3), 'meta'), 'image/heic', undefined],
    ['unknown MIME', pngHeader(5, 5), 'image/avif', undefined],
    ['MIME that names an Object property', pngHeader(5, 5), 'constructor', undefined],
    ['MIME __proto__', pngHeader(5, 5), '__proto__', undefined],
    ['PNG bytes called JPEG', pngHeader(5, 5), 'image/jpeg', undefined],
    ['JPEG bytes called PNG', jpeg(sof(5, 5)), 'image/png', undefined],
  ];
  it.each(cases)('%s', (_name, head, mime, want) => {
    expect(imageDimensions(head, mime)).toEqual(want);
  });

  it('finds an SOF after a large EXIF block, as long as it is within the prefix', () => {
    const big = segment(0xe1, 'Exif\0\0', zeros(60_000));
    const file = jpeg(app0, big, big, sof(1920, 1080));
    expect(imageDimensions(file, 'image/jpeg')).toEqual({ width: 1920, height: 1080 });
    expect(imageDimensions(file.subarray(0, 100_000), 'image/jpeg')).toBeUndefined();
  });
});

describe('imageDimensions properties', () => {
  const MIMES = ['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/webp', 'image/heic', 'image/heif'];
  const run = { seed: 20261125, numRuns: 2000 };
  const valid = (d: Dimensions | undefined): boolean => d === undefined || (Number.isInteger(d.width) && Number.isInteger(d.height) && d.width > 0 && d.height > 0);

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom(...MIMES), (head, mime) => valid(imageDimensions(head, mime))),
      run,
    );
  });

  it('never throws on a real header followed by, or cut into, random bytes', () => {
    const starts = [
      pngHeader(3, 4),
      gifHeader(3, 4),
      bmpHeader(3, 4),
      webpVp8x(3, 4),
      webpVp8(3, 4),
      jpeg(app0, exif(6, 'II')).subarray(0, 60),
      heif([ispe(3, 4)], { primary: 1, ipma: gridIpma }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...starts), fc.nat(400), fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...MIMES), (start, cut, rest, mime) =>
        valid(imageDimensions(bytes(start.subarray(0, cut), rest), mime)),
      ),
      run,
    );
  });

  it('never throws when one byte of a real header is changed', () => {
    const files = [
      jpeg(app0, exif(6, 'MM'), dqt, sof(30, 40)),
      heif([ispe(5, 6), ispe(7, 8), box('irot', [3])], { primary: 1, ipma: gridIpma }),
      fixture('image.heic'),
      fixture('photo.jpg').subarray(0, 2000),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('image/jpeg', 'image/heic'), (file, at, value, mime) => {
        const b = Uint8Array.from(file);
        b[at % b.length] = value;
        return valid(imageDimensions(b, mime));
      }),
      run,
    );
  });

  it('round-trips any size through the headers that can hold it', () => {
    const side = (max: number) => fc.integer({ min: 1, max });
    fc.assert(
      fc.property(side(0x7fffffff), side(0x7fffffff), (w, h) => {
        expect(imageDimensions(pngHeader(w, h), 'image/png')).toEqual({ width: w, height: h });
      }),
      run,
    );
    fc.assert(
      fc.property(side(0xffff), side(0xffff), (w, h) => {
        expect(imageDimensions(gifHeader(w, h), 'image/gif')).toEqual({ width: w, height: h });
        expect(imageDimensions(jpeg(sof(w, h)), 'image/jpeg')).toEqual({ width: w, height: h });
        expect(imageDimensions(bmpHeader(w, -h), 'image/bmp')).toEqual({ width: w, height: h });
      }),
      run,
    );
    fc.assert(
      fc.property(side(0x3fff), side(0x3fff), (w, h) => {
        expect(imageDimensions(webpVp8(w, h), 'image/webp')).toEqual({ width: w, height: h });
        expect(imageDimensions(webpVp8l(w, h), 'image/webp')).toEqual({ width: w, height: h });
      }),
      run,
    );
    fc.assert(
      fc.property(side(0x1000000), side(0x1000000), (w, h) => {
        expect(imageDimensions(webpVp8x(w, h), 'image/webp')).toEqual({ width: w, height: h });
      }),
      run,
    );
    fc.assert(
      fc.property(side(0xffffffff), side(0xffffffff), (w, h) => {
        expect(imageDimensions(heif([ispe(w, h)]), 'image/heic')).toEqual({ width: w, height: h });
      }),
      run,
    );
  });
});
