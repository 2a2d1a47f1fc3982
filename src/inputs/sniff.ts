// What a file is, from its first bytes, never from its name. Moonshot reads the MIME type of a data
// URL as given (its own sample builds it from the extension, a bug), so the type must come from here.
//
// `head` is the file's leading bytes: at least min(SNIFF_BYTES, file size) of them (more is fine).
// A head shorter than SNIFF_BYTES is taken to be the whole file: that is how a header cut short is
// told apart from a header that merely goes on past the bytes read.
//
// Refusals name what the bytes look like, in words a user can act on ("SVG image", "TIFF image");
// the caller says that it is not supported.
// A refusal may be `convertible`: an image the API refuses but sharp can decode (TIFF, AVIF), which
// describe takes when it re-encodes images anyway (--max-edge, --max-bytes: see resize.ts).
// Matroska (doctype "matroska") is refused rather than sent as video/webm: WebM is the documented
// subset, and a .mkv may hold codecs (HEVC, FLAC, subtitles) a WebM reader rejects.

export type MediaKind = 'image' | 'video';
export type Sniff = { ok: true; mime: string; kind: MediaKind } | { ok: false; looksLike: string; convertible?: string };

/** How many leading bytes sniffMime needs (fewer means the file ended there). */
export const SNIFF_BYTES = 512;

type Rule = (head: Uint8Array) => Sniff | undefined;

const image = (mime: string): Sniff => ({ ok: true, mime, kind: 'image' });
const video = (mime: string): Sniff => ({ ok: true, mime, kind: 'video' });
const refuse = (looksLike: string): Sniff => ({ ok: false, looksLike });
/** Refused as it is, but an image resize.ts can convert: `mime` is its real type. */
const convertible = (looksLike: string, mime: string): Sniff => ({ ok: false, looksLike, convertible: mime });
const truncated = (name: string): Sniff => refuse(`truncated ${name} header`);

/** True when `sig` (a latin1 string or bytes) sits at `at`. */
function has(head: Uint8Array, at: number, sig: string | readonly number[]): boolean {
  if (head.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) {
    const want = typeof sig === 'string' ? sig.charCodeAt(i) : sig[i];
    if (head[at + i] !== want) return false;
  }
  return true;
}

const latin1 = (head: Uint8Array, from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
const u16le = (h: Uint8Array, i: number): number => (h[i] ?? 0) | ((h[i + 1] ?? 0) << 8);
const u32le = (h: Uint8Array, i: number): number => u16le(h, i) + u16le(h, i + 2) * 0x10000;
const u32be = (h: Uint8Array, i: number): number => (h[i] ?? 0) * 0x1000000 + (((h[i + 1] ?? 0) << 16) | ((h[i + 2] ?? 0) << 8) | (h[i + 3] ?? 0));
const isWholeFile = (head: Uint8Array): boolean => head.length < SNIFF_BYTES;

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const EBML = [0x1a, 0x45, 0xdf, 0xa3];
const ASF = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11];

const png: Rule = (head) => {
  if (!has(head, 0, PNG)) return undefined;
  if (head.length < 33) return truncated('PNG'); // signature + IHDR chunk
  if (has(head, 12, 'IHDR') || has(head, 12, 'CgBI')) return image('image/png');
  return refuse('damaged PNG (no IHDR chunk)');
};

const jpeg: Rule = (head) => {
  if (!has(head, 0, JPEG)) return undefined;
  if (head.length < 6) return truncated('JPEG'); // SOI + first marker and its length
  const marker = head[3] ?? 0;
  if (marker < 0xc0) return refuse('damaged JPEG (bad first marker)');
  const segmentEnd = 4 + (((head[4] ?? 0) << 8) | (head[5] ?? 0));
  // 0xFF is a fill byte before the marker: then bytes 4-5 are not a length.
  if (marker !== 0xff && isWholeFile(head) && segmentEnd > head.length) return truncated('JPEG');
  return image('image/jpeg');
};

const gif: Rule = (head) => {
  if (!has(head, 0, 'GIF87a') && !has(head, 0, 'GIF89a')) return undefined;
  return head.length < 13 ? truncated('GIF') : image('image/gif'); // header + logical screen
};

const BMP_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);
const bmp: Rule = (head) => {
  if (!has(head, 0, 'BM')) return undefined;
  if (head.length < 18) return isText(head) ? undefined : truncated('BMP');
  const dib = u32le(head, 14);
  if (!BMP_HEADER_SIZES.has(dib)) return undefined; // "BM" is also how some text starts
  return head.length < 14 + Math.min(dib, 40) ? truncated('BMP') : image('image/bmp');
};

const RIFF_MIN: Record<string, number> = { 'VP8 ': 30, VP8L: 25, VP8X: 30 };
const riff: Rule = (head) => {
  if (!has(head, 0, 'RIFF')) return undefined;
  if (head.length < 12) return isText(head) ? undefined : truncated('RIFF');
  const form = latin1(head, 8, 12);
  if (form === 'WEBP') {
    const chunk = latin1(head, 12, 16);
    const min = RIFF_MIN[chunk];
    if (head.length < 16 || (min !== undefined && head.length < min)) return truncated('WebP');
    return min === undefined ? refuse(`damaged WebP (unknown chunk "${chunk}")`) : image('image/webp');
  }
  if (form === 'AVI ') return video('video/x-msvideo');
  if (form === 'WAVE') return refuse('WAV audio');
  return refuse(`RIFF file of type "${form}"`);
};

const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso3',
  'iso4',
  'iso5',
  'iso6',
  'iso7',
  'iso8',
  'iso9',
  'mp41',
  'mp42',
  'mp71',
  'avc1',
  'dash',
  'M4V ',
  'M4VH',
  'M4VP',
  'f4v ',
  'F4V ',
  'mmp4',
  'MSNV',
  'NDSC',
  'NDSH',
  'NDSM',
  'NDSP',
  'NDSS',
  'XAVC',
  'cmfc',
  'cmfs',
  'cmf2',
]);

/** ISO base media (ftyp) brands: HEIF family, MP4 family, QuickTime, 3GPP. */
function classifyBrand(brand: string): Sniff | undefined {
  if (['heic', 'heix', 'hevc', 'hevx'].includes(brand)) return image('image/heic');
  if (['mif1', 'msf1', 'heim', 'heis'].includes(brand)) return image('image/heif');
  if (brand === 'avif' || brand === 'avis') return convertible('AVIF image', 'image/avif');
  if (brand === 'qt  ') return video('video/quicktime');
  if (brand.startsWith('3gp')) return video('video/3gpp');
  if (brand.startsWith('3g2')) return refuse('3GPP2 video');
  if (MP4_BRANDS.has(brand)) return video('video/mp4');
  if (/^M4[ABP] $|^F4[AB] $/.test(brand)) return refuse('MPEG-4 audio');
  if (/^jp[2xm] $/.test(brand)) return refuse('JPEG 2000 image');
  if (brand === 'crx ') return refuse('Canon CR3 raw image');
  return undefined;
}

const isoMedia: Rule = (head) => {
  if (!has(head, 4, 'ftyp')) return undefined;
  if (head.length < 12) return truncated('ISO media (ftyp)');
  const size = u32be(head, 0);
  if (isWholeFile(head) && size > head.length) return truncated('ISO media (ftyp)');
  const major = latin1(head, 8, 12);
  // A mif1 major brand with an avif compatible brand is an AVIF: say so, not HEIF.
  const end = Math.min(size, head.length);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= end; at += 4) compatible.push(latin1(head, at, at + 4));
  if ((major === 'mif1' || major === 'msf1') && compatible.some((b) => b === 'avif' || b === 'avis')) {
    return convertible('AVIF image', 'image/avif');
  }
  for (const brand of [major, ...compatible]) {
    const found = classifyBrand(brand);
    if (found) return found;
  }
  return refuse(`ISO media file (brand "${major.trim()}")`);
};

/** QuickTime movies older than ftyp start with a moov, wide or pnot atom. */
const quicktimeAtom: Rule = (head) => {
  const size = u32be(head, 0);
  if (has(head, 4, 'wide') && size === 8) return video('video/quicktime');
  if (has(head, 4, 'pnot') && size === 20) return video('video/quicktime');
  if (has(head, 4, 'moov') && size >= 8 && size < 0x40000000) return video('video/quicktime');
  return undefined;
};

/** Reads an EBML variable-length integer: its byte length and its value without the marker bit. */
function readVint(head: Uint8Array, at: number): { length: number; value: number } | undefined {
  const first = head[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > head.length) return undefined;
  let value = first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + (head[at + i] ?? 0);
  return { length, value };
}

const ebml: Rule = (head) => {
  if (!has(head, 0, EBML)) return undefined;
  const size = readVint(head, 4);
  const end = size ? Math.min(head.length, 4 + size.length + size.value) : head.length;
  let at = size ? 4 + size.length : end;
  while (at < end) {
    const id = readVint(head, at);
    const len = id && readVint(head, at + id.length);
    if (!id || !len) break;
    const body = at + id.length + len.length;
    if (head[at] === 0x42 && head[at + 1] === 0x82 && id.length === 2) {
      if (body + len.value > head.length) break;
      const docType = latin1(head, body, body + len.value).replace(/\0+$/, '');
      if (docType === 'webm') return video('video/webm');
      if (docType === 'matroska') return refuse('Matroska video');
      return refuse(`EBML file of type "${docType}"`);
    }
    at = body + len.value;
  }
  if (isWholeFile(head)) return truncated('WebM');
  return refuse('Matroska video'); // DocType defaults to "matroska"
};

const asf: Rule = (head) => {
  if (!has(head, 0, ASF)) return undefined;
  return head.length < 30 ? truncated('ASF (WMV)') : video('video/x-ms-wmv'); // GUID, size, count
};

const flv: Rule = (head) => {
  if (!has(head, 0, 'FLV\x01')) return undefined;
  return head.length < 9 ? truncated('FLV') : video('video/x-flv');
};

const mpeg: Rule = (head) => {
  if (!has(head, 0, [0, 0, 1, 0xba]) && !has(head, 0, [0, 0, 1, 0xb3])) return undefined;
  return head.length < 12 ? truncated('MPEG') : video('video/mpeg');
};

const ico: Rule = (head) => {
  const icon = has(head, 0, [0, 0, 1, 0]);
  if (!icon && !has(head, 0, [0, 0, 2, 0])) return undefined;
  if (head.length < 6 || u16le(head, 4) === 0) return undefined;
  return refuse(icon ? 'ICO icon' : 'CUR cursor');
};

/** Formats recognised only to be named in a refusal (or converted): [offset, signature, words, convertible MIME]. */
const NAMED: ReadonlyArray<readonly [number, string | readonly number[], string, string?]> = [
  [0, 'II*\0', 'TIFF image', 'image/tiff'],
  [0, 'MM\0*', 'TIFF image', 'image/tiff'],
  [0, 'II+\0', 'BigTIFF image', 'image/tiff'],
  [0, 'MM\0+', 'BigTIFF image', 'image/tiff'],
  [0, '%PDF-', 'PDF document'],
  [0, 'PK\x03\x04', 'ZIP archive'],
  [0, 'PK\x05\x06', 'ZIP archive'],
  [0, 'PK\x07\x08', 'ZIP archive'],
  [0, [0x1f, 0x8b], 'gzip data'],
  [0, 'BZh', 'bzip2 data'],
  [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz data'],
  [0, [0x28, 0xb5, 0x2f, 0xfd], 'zstd data'],
  [0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], '7z archive'],
  [0, 'Rar!\x1a\x07', 'RAR archive'],
  [0, '\x7fELF', 'ELF executable'],
  [0, '8BPS', 'Photoshop document'],
  [0, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a], 'JPEG 2000 image'],
  [0, [0xff, 0x4f, 0xff, 0x51], 'JPEG 2000 image'],
  [0, [0xff, 0x0a], 'JPEG XL image'],
  [0, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a], 'JPEG XL image'],
  [0, 'OggS', 'Ogg media'],
  [0, 'fLaC', 'FLAC audio'],
  [0, 'ID3', 'MP3 audio'],
  [0, [0xff, 0xfb], 'MP3 audio'],
  [0, [0xff, 0xf3], 'MP3 audio'],
  [0, 'SQLite format 3\0', 'SQLite database'],
];

const named: Rule = (head) => {
  for (const [at, sig, words, mime] of NAMED) if (has(head, at, sig)) return mime ? convertible(words, mime) : refuse(words);
  // MPEG transport stream: a 0x47 sync byte every 188 bytes.
  if (head.length >= 377 && head[0] === 0x47 && head[188] === 0x47 && head[376] === 0x47) {
    return refuse('MPEG transport stream');
  }
  return undefined;
};

/** The first SNIFF_BYTES as text if they are valid UTF-8 (a sequence cut at the end of a full head
 * is fine) with no NUL and no odd controls. */
function decodeText(head: Uint8Array): string | undefined {
  let text: string;
  try {
    const start = head.subarray(0, SNIFF_BYTES);
    text = new TextDecoder('utf-8', { fatal: true }).decode(start, { stream: !isWholeFile(head) });
  } catch {
    return undefined;
  }
  // Allowed controls: tab, LF, VT, FF, CR, ESC (ANSI colours in logs).
  return /[\0-\x08\x0e-\x1a\x1c-\x1f\x7f]/.test(text) ? undefined : text;
}

function isText(head: Uint8Array): boolean {
  return decodeText(head) !== undefined;
}

/** Skips an XML prolog (declaration, comments, doctype, whitespace) to the first element. */
function skipProlog(markup: string): string {
  let rest = markup.trimStart();
  for (;;) {
    const m = /^(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!doctype[^>]*>)\s*/.exec(rest);
    if (!m) return rest;
    rest = rest.slice(m[0].length);
  }
}

const text: Rule = (head) => {
  if (has(head, 0, [0xff, 0xfe]) || has(head, 0, [0xfe, 0xff])) return refuse('text (UTF-16)');
  const decoded = decodeText(head);
  if (decoded === undefined) return undefined;
  const start = decoded
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  const root = skipProlog(start);
  const prolog = start.slice(0, start.length - root.length);
  if (/^<svg([\s>/:]|$)/.test(root) || /<!doctype svg[\s>]/.test(prolog) || /^<!doctype svg\s/.test(root)) {
    return refuse('SVG image');
  }
  if (start.startsWith('<!doctype html') || /^<html[\s>]/.test(root)) return refuse('HTML document');
  if (start.startsWith('<?xml')) return refuse('XML document');
  return refuse('text (UTF-8)');
};

/** A head shorter than a signature it begins: the file ended inside the magic number. */
const PREFIXES: ReadonlyArray<readonly [readonly number[], string]> = [
  [PNG, 'PNG'],
  [JPEG, 'JPEG'],
  [EBML, 'WebM'],
  [ASF, 'ASF (WMV)'],
  [[0x46, 0x4c, 0x56, 0x01], 'FLV'],
  [[0, 0, 1, 0xba], 'MPEG'],
  [[0, 0, 1, 0xb3], 'MPEG'],
];

const cutSignature: Rule = (head) => {
  if (head.length < 2) return undefined;
  for (const [sig, name] of PREFIXES) {
    if (head.length < sig.length && has(head, 0, sig.slice(0, head.length))) return truncated(name);
  }
  return undefined;
};

const hex = (head: Uint8Array): string => [...head.subarray(0, 4)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

// Order matters: full signatures first, text only after binary formats whose magic is ASCII (GIF,
// %PDF, RIFF), cut signatures after text (a text file may begin "GIF8").
const RULES: readonly Rule[] = [png, jpeg, gif, riff, isoMedia, ebml, asf, flv, mpeg, bmp, ico, named, quicktimeAtom, text, cutSignature];

/** The MIME type and kind of a supported image or video, or words for what the bytes look like. */
export function sniffMime(head: Uint8Array): Sniff {
  if (head.length === 0) return refuse('empty file');
  for (const rule of RULES) {
    const found = rule(head);
    if (found) return found;
  }
  return refuse(`unknown binary data (starts ${hex(head)})`);
}
