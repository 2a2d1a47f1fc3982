import { bytes, fixture } from '../helpers/bytes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffMime, type Sniff } from '../../src/inputs/sniff.js';

// ---- byte builders ----
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const le32 = (n: number): number[] => [...le16(n & 0xffff), ...le16(n >>> 16)];
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = bytes(PNG_SIG, be32(13), 'IHDR', be32(10), be32(20), [8, 2, 0, 0, 0], be32(0));
const jfif = bytes([0xff, 0xd8, 0xff, 0xe0], [0, 16], 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0]);
const gif = (v: string): Uint8Array => bytes(`GIF${v}`, le16(3), le16(4), [0, 0, 0]);
const bmp = (dib: number): Uint8Array => bytes('BM', le32(14 + dib), zeros(4), le32(14 + dib), le32(dib), zeros(dib - 4));
const riff = (form: string, chunk: string, body: readonly number[]): Uint8Array => bytes('RIFF', le32(12 + body.length), form, chunk, le32(body.length), body);
const webpVp8 = riff('WEBP', 'VP8 ', [0x30, 1, 0, 0x9d, 0x01, 0x2a, 4, 0, 3, 0]);
const webpVp8l = riff('WEBP', 'VP8L', [0x2f, 1, 2, 3, 4]);
const webpVp8x = riff('WEBP', 'VP8X', [0, 0, 0, 0, 1, 0, 0, 2, 0, 0]);
const ftyp = (major: string, ...compatible: string[]): Uint8Array => bytes(be32(16 + 4 * compatible.length), 'ftyp', major, be32(0), ...compatible);
const ebml = (docType: string | undefined): Uint8Array => {
  const fields = bytes(
    [0x42, 0x86, 0x81, 1, 0x42, 0xf7, 0x81, 1, 0x42, 0xf2, 0x81, 4, 0x42, 0xf3, 0x81, 8],
    docType === undefined ? [] : bytes([0x42, 0x82, 0x80 | docType.length], docType),
    [0x42, 0x87, 0x81, 2, 0x42, 0x85, 0x81, 2],
  );
  return bytes([0x1a, 0x45, 0xdf, 0xa3, 0x80 | fields.length], fields, [0x18, 0x53, 0x80, 0x67, 0x01, 0xff]);
};
const ASF_GUID = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0, 0xaa, 0, 0x62, 0xce, 0x6c];
/** Pads to a full head, so the sniffer does not take it for the whole (cut) file. */
const full = (b: Uint8Array): Uint8Array => bytes(b, zeros(Math.max(0, SNIFF_BYTES - b.length)));

const image = (mime: string): Sniff => ({ ok: true, mime, kind: 'image' });
const video = (mime: string): Sniff => ({ ok: true, mime, kind: 'video' });
const refused = (looksLike: string): Sniff => ({ ok: false, looksLike });
/** Refused as it is; describe converts it with --max-edge / --max-bytes (resize.ts). */
const convertible = (looksLike: string, mime: string): Sniff => ({ ok: false, looksLike, convertible: mime });

describe('sniffMime on the fixtures', () => {
  const cases: Array<[string, Sniff]> = [
    ['screenshot.png', image('image/png')],
    ['photo.jpg', image('image/jpeg')],
    ['small.png', image('image/png')],
    ['large.png', image('image/png')],
    ['image.webp', image('image/webp')],
    ['anim.gif', image('image/gif')],
    ['image.bmp', image('image/bmp')],
    ['image.heic', image('image/heic')],
    ['jpeg-named.png', image('image/jpeg')],
    ['bad/text-named.png', refused('text (UTF-8)')],
    ['bad/empty.png', refused('empty file')],
    ['bad/truncated.png', refused('truncated PNG header')],
    ['bad/drawing.svg', refused('SVG image')],
    ['bad/icon.ico', refused('ICO icon')],
    ['bad/scan.tiff', convertible('TIFF image', 'image/tiff')],
    ['video.mp4', video('video/mp4')],
    ['clip.webm', video('video/webm')],
    ['dir/a.png', image('image/png')],
    ['dir/nested/b.jpg', image('image/jpeg')],
    ['dir/notes.txt', refused('text (UTF-8)')],
  ];
  it.each(cases)('%s', (name, want) => {
    const file = fixture(name);
    expect(sniffMime(file.subarray(0, SNIFF_BYTES))).toEqual(want);
    expect(sniffMime(file)).toEqual(want); // a longer head changes nothing
  });
});

describe('sniffMime on hand-built headers', () => {
  const cases: Array<[string, Uint8Array, Sniff]> = [
    // images
    ['PNG signature + IHDR', png, image('image/png')],
    ['PNG without IHDR', bytes(PNG_SIG, be32(13), 'IDAT', zeros(17)), refused('damaged PNG (no IHDR chunk)')],
    ['JPEG/JFIF', jfif, image('image/jpeg')],
    ['JPEG starting with DQT', full(bytes([0xff, 0xd8, 0xff, 0xdb, 0, 67])), image('image/jpeg')],
    ['JPEG with a fill byte', bytes([0xff, 0xd8, 0xff, 0xff, 0xe0, 0, 2]), image('image/jpeg')],
    ['JPEG with a bad first marker', bytes([0xff, 0xd8, 0xff, 0x00, 0, 2]), refused('damaged JPEG (bad first marker)')],
    ['GIF87a', gif('87a'), image('image/gif')],
    ['GIF89a', gif('89a'), image('image/gif')],
    ['BMP, BITMAPINFOHEADER', bmp(40), image('image/bmp')],
    ['BMP, BITMAPV5HEADER', bmp(124), image('image/bmp')],
    ['BMP, OS/2 core header', bmp(12), image('image/bmp')],
    ['WebP VP8', webpVp8, image('image/webp')],
    ['WebP VP8L', webpVp8l, image('image/webp')],
    ['WebP VP8X', webpVp8x, image('image/webp')],
    ['WebP with an unknown chunk', riff('WEBP', 'ABCD', zeros(12)), refused('damaged WebP (unknown chunk "ABCD")')],
    ...['heic', 'heix', 'hevc', 'hevx'].map((b): [string, Uint8Array, Sniff] => [`ftyp ${b}`, ftyp(b, 'mif1', b), image('image/heic')]),
    ...['mif1', 'msf1', 'heim', 'heis'].map((b): [string, Uint8Array, Sniff] => [`ftyp ${b}`, ftyp(b, 'mif1'), image('image/heif')]),
    ['ftyp avif', ftyp('avif', 'mif1', 'miaf'), convertible('AVIF image', 'image/avif')],
    ['ftyp avis', ftyp('avis', 'msf1'), convertible('AVIF image', 'image/avif')],
    ['ftyp mif1 compatible with avif', ftyp('mif1', 'avif', 'miaf'), convertible('AVIF image', 'image/avif')],
    // videos
    ...['isom', 'iso2', 'iso5', 'mp41', 'mp42', 'avc1', 'dash', 'M4V ', 'M4VP', 'f4v ', 'mmp4'].map((b): [string, Uint8Array, Sniff] => [
      `ftyp ${b}`,
      ftyp(b, 'isom'),
      video('video/mp4'),
    ]),
    ['ftyp of an unknown major brand, compatible with mp42', ftyp('XXXX', 'mp42'), video('video/mp4')],
    ['ftyp qt', ftyp('qt  ', 'qt  '), video('video/quicktime')],
    ['ftyp 3gp4', ftyp('3gp4', 'isom'), video('video/3gpp')],
    ['ftyp 3gp6', ftyp('3gp6'), video('video/3gpp')],
    ['ftyp 3g2a', ftyp('3g2a'), refused('3GPP2 video')],
    ['ftyp M4A', ftyp('M4A ', 'isom'), refused('MPEG-4 audio')],
    ['ftyp crx', ftyp('crx ', 'isom'), refused('Canon CR3 raw image')],
    ['ftyp of no known brand', ftyp('abcd', 'efgh'), refused('ISO media file (brand "abcd")')],
    ['QuickTime wide atom', full(bytes(be32(8), 'wide', be32(100), 'mdat')), video('video/quicktime')],
    ['QuickTime moov atom', full(bytes(be32(1000), 'moov', be32(108), 'mvhd')), video('video/quicktime')],
    ['WebM', ebml('webm'), video('video/webm')],
    ['Matroska', ebml('matroska'), refused('Matroska video')],
    ['EBML of another doctype', ebml('foo'), refused('EBML file of type "foo"')],
    ['EBML with no doctype in a full head', full(ebml(undefined)), refused('Matroska video')],
    ['EBML header of unknown size', full(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x42, 0x82, 0x84], 'webm')), video('video/webm')],
    ['MPEG program stream', bytes([0, 0, 1, 0xba, 0x44], zeros(9)), video('video/mpeg')],
    ['MPEG sequence header', bytes([0, 0, 1, 0xb3, 0x14, 0, 0xf0], zeros(5)), video('video/mpeg')],
    ['AVI', riff('AVI ', 'LIST', zeros(20)), video('video/x-msvideo')],
    ['FLV', bytes('FLV', [1, 5, 0, 0, 0, 9]), video('video/x-flv')],
    ['ASF (WMV)', bytes(ASF_GUID, zeros(14)), video('video/x-ms-wmv')],
    // truncated
    ['PNG of 10 bytes', png.subarray(0, 10), refused('truncated PNG header')],
    ['PNG of 3 bytes', png.subarray(0, 3), refused('truncated PNG header')],
    ['PNG of 32 bytes', png.subarray(0, 32), refused('truncated PNG header')],
    ['JPEG of 2 bytes', bytes([0xff, 0xd8]), refused('truncated JPEG header')],
    ['JPEG of 3 bytes', bytes([0xff, 0xd8, 0xff]), refused('truncated JPEG header')],
    ['JPEG whose first segment is cut', jfif.subarray(0, 12), refused('truncated JPEG header')],
    ['GIF of 8 bytes', gif('89a').subarray(0, 8), refused('truncated GIF header')],
    ['BMP of 10 bytes', bmp(40).subarray(0, 10), refused('truncated BMP header')],
    ['BMP cut inside its info header', bmp(40).subarray(0, 30), refused('truncated BMP header')],
    ['RIFF of 8 bytes', webpVp8.subarray(0, 8), refused('truncated RIFF header')],
    ['WebP cut inside VP8', webpVp8.subarray(0, 24), refused('truncated WebP header')],
    ['ftyp cut inside the major brand', ftyp('isom').subarray(0, 10), refused('truncated ISO media (ftyp) header')],
    ['ftyp box cut', ftyp('heic', 'mif1', 'heic').subarray(0, 18), refused('truncated ISO media (ftyp) header')],
    ['EBML of 2 bytes', bytes([0x1a, 0x45]), refused('truncated WebM header')],
    ['EBML cut before its doctype', ebml('webm').subarray(0, 12), refused('truncated WebM header')],
    ['ASF of 8 bytes', bytes(ASF_GUID.slice(0, 8)), refused('truncated ASF (WMV) header')],
    ['ASF of 3 bytes', bytes(ASF_GUID.slice(0, 3)), refused('truncated ASF (WMV) header')],
    ['FLV of 6 bytes', bytes('FLV', [1, 5, 0]), refused('truncated FLV header')],
    ['MPEG of 3 bytes', bytes([0, 0, 1]), refused('truncated MPEG header')],
    // not supported, named
    ['TIFF, little-endian', bytes('II*\0', le32(8)), convertible('TIFF image', 'image/tiff')],
    ['TIFF, big-endian', bytes('MM\0*', be32(8)), convertible('TIFF image', 'image/tiff')],
    ['BigTIFF', bytes('II+\0', [8, 0, 0, 0]), convertible('BigTIFF image', 'image/tiff')],
    ['ICO', bytes([0, 0, 1, 0, 1, 0, 16, 16, 0, 0]), refused('ICO icon')],
    ['CUR', bytes([0, 0, 2, 0, 1, 0, 16, 16, 0, 0]), refused('CUR cursor')],
    ['PDF', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), refused('PDF document')],
    ['ZIP', bytes('PK\x03\x04', [20, 0, 0, 0]), refused('ZIP archive')],
    ['empty ZIP', bytes('PK\x05\x06', zeros(18)), refused('ZIP archive')],
    ['gzip', bytes([0x1f, 0x8b, 8, 0], zeros(6)), refused('gzip data')],
    ['xz', bytes([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), refused('xz data')],
    ['JPEG 2000', bytes([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]), refused('JPEG 2000 image')],
    ['JPEG XL codestream', bytes([0xff, 0x0a, 0xfa]), refused('JPEG XL image')],
    ['Photoshop', bytes('8BPS', [0, 1]), refused('Photoshop document')],
    ['Ogg', bytes('OggS', [0, 2]), refused('Ogg media')],
    ['WAV', riff('WAVE', 'fmt ', zeros(16)), refused('WAV audio')],
    ['other RIFF', riff('CDXA', 'fmt ', zeros(16)), refused('RIFF file of type "CDXA"')],
    [
      'MPEG transport stream',
      (() => {
        const b = new Uint8Array(SNIFF_BYTES);
        for (let i = 0; i < b.length; i += 188) b[i] = 0x47;
        return b;
      })(),
      refused('MPEG transport stream'),
    ],
    // text
    ['plain ASCII', bytes('hello, world\n'), refused('text (UTF-8)')],
    ['UTF-8 with a BOM and accents', bytes(Buffer.from('\ufeffcafé, naïve — 你好\r\n\ttab')), refused('text (UTF-8)')],
    ['text with ANSI colours', bytes('\x1b[31mred\x1b[0m\n'), refused('text (UTF-8)')],
    ['text cut inside a character at the end of a full head', bytes('a'.repeat(SNIFF_BYTES - 1), [0xe4, 0xbd]), refused('text (UTF-8)')],
    ['text starting like a GIF', bytes('GIF8'), refused('text (UTF-8)')],
    ['text starting with BM', bytes('BMW is a car maker.\n'), refused('text (UTF-8)')],
    ['text starting with RIFF', bytes('RIFF'), refused('text (UTF-8)')],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), refused('SVG image')],
    ['SVG after whitespace', bytes('\n  <SVG width="1"></SVG>'), refused('SVG image')],
    ['SVG with an XML prolog', bytes('<?xml version="1.0"?>\n<svg>'), refused('SVG image')],
    ['SVG with a doctype', bytes('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg width="1">'), refused('SVG image')],
    ['SVG after a prolog, cut before the root', bytes('<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC'), refused('SVG image')],
    ['XML whose root is not svg', bytes('<?xml version="1.0"?>\n<doc><svg/></doc>'), refused('XML document')],
    ['XML that is not SVG', bytes('<?xml version="1.0"?>\n<note>svg</note>'), refused('XML document')],
    ['HTML', bytes('<!doctype html>\n<html><body><svg></svg></body></html>'), refused('HTML document')],
    ['UTF-16 text', bytes([0xff, 0xfe, 0x68, 0, 0x69, 0]), refused('text (UTF-16)')],
    // nothing known
    ['empty', new Uint8Array(0), refused('empty file')],
    ['random bytes', bytes([0x00, 0x11, 0x22, 0x33, 0x44]), refused('unknown binary data (starts 00 11 22 33)')],
    ['one byte', bytes([0x89]), refused('unknown binary data (starts 89)')],
    ['zeros', new Uint8Array(SNIFF_BYTES), refused('unknown binary data (starts 00 00 00 00)')],
    ['invalid UTF-8', bytes('abc', [0xc3, 0x28], 'def'), refused('unknown binary data (starts 61 62 63 C3)')],
    ['text with a NUL', bytes('abc\0def'), refused('unknown binary data (starts 61 62 63 00)')],
    ['BM with a header size no BMP has', bytes('BM', zeros(12), le32(99), [1, 2, 3, 0]), refused('unknown binary data (starts 42 4D 00 00)')],
  ];
  it.each(cases)('%s', (_name, head, want) => {
    expect(sniffMime(head)).toEqual(want);
  });

  it('reads compatible brands only inside the ftyp box', () => {
    const head = bytes(be32(16), 'ftyp', 'abcd', be32(0), be32(8), 'isom');
    expect(sniffMime(head)).toEqual(refused('ISO media file (brand "abcd")'));
  });
});

describe('sniffMime properties', () => {
  const SUPPORTED = new Set([
    'image/png',
    'image/jpeg',
    'image/webp',
    'image/gif',
    'image/bmp',
    'image/heic',
    'image/heif',
    'video/mp4',
    'video/quicktime',
    'video/webm',
    'video/mpeg',
    'video/x-msvideo',
    'video/x-flv',
    'video/x-ms-wmv',
    'video/3gpp',
  ]);
  const wellFormed = (s: Sniff): boolean => (s.ok ? SUPPORTED.has(s.mime) && s.kind === (s.mime.startsWith('image/') ? 'image' : 'video') : s.looksLike.length > 0);

  it('never throws and always answers with a supported type or words', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2 * SNIFF_BYTES }), (head) => wellFormed(sniffMime(head))),
      { seed: 20261125, numRuns: 3000 },
    );
  });

  it('never throws on known signatures followed by anything', () => {
    const starts = [
      png.subarray(0, 8),
      jfif.subarray(0, 3),
      bytes('GIF89a'),
      bytes('BM'),
      bytes('RIFF'),
      bytes([0, 0, 0, 0x18], 'ftyp'),
      bytes([0x1a, 0x45, 0xdf, 0xa3]),
      bytes(ASF_GUID.slice(0, 8)),
      bytes([0, 0, 1, 0xba]),
      bytes('FLV\x01'),
      bytes([0, 0, 1, 0]),
      bytes('<?xml'),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...starts), fc.uint8Array({ maxLength: 700 }), (start, rest) => wellFormed(sniffMime(bytes(start, rest)))),
      { seed: 7, numRuns: 3000 },
    );
  });

  it('refuses every cut of a PNG header as truncated', () => {
    for (let n = 2; n < 33; n++) expect(sniffMime(png.subarray(0, n))).toEqual(refused('truncated PNG header'));
  });

  it('gives a fixture the same answer whatever the head length past SNIFF_BYTES', () => {
    for (const name of ['screenshot.png', 'large.png', 'photo.jpg', 'image.heic', 'video.mp4', 'clip.webm']) {
      const file = fixture(name);
      const want = sniffMime(file.subarray(0, SNIFF_BYTES));
      for (const n of [SNIFF_BYTES + 1, 1000, 4096, file.length]) expect(sniffMime(file.subarray(0, n))).toEqual(want);
    }
  });
});
