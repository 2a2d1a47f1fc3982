// The images of a --each run, kept compactly. A run over a folder of 20,000 files held an Image
// value per file (~1 KB of objects and strings) from resolution to its end, and whatever a run
// keeps is what V8 sizes its young generation by: the peak RSS grew with the number of files.
// Here a file is its path's characters and numbers in typed arrays, outside V8's heap (what sits in
// the heap is copied by every young collection it lives through, and counted as survival: 20,000
// path strings made a dry run's young generation double once more), and its Image value is made
// again when something needs it (a new value each time; none is changed). Images whose bytes are in
// memory anyway (stdin, URLs, resized copies) and bad inputs (few, and their errors) are kept as
// they are, each in its place.
import path from 'node:path';
import { isBadInput, type Input } from '../inputs/bad-input.js';
import type { MediaKind } from '../inputs/sniff.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export class ImageList {
  length = 0;
  private readonly paths = new Strings();
  /** Inputs kept whole, by index (bad, not a file, resized, not hashed). */
  private readonly whole = new Map<number, Input>();
  /** The file of an image, where it is not path.resolve(cwd, its path). */
  private readonly files = new Map<number, string>();
  /** Distinct (mime, kind) pairs, and each image's index among them. */
  private readonly types: { mime: string; kind: MediaKind }[] = [];
  private typeOf = new Uint8Array(0);
  private bytes = new Float64Array(0);
  /** Width and height, 0 when unknown. */
  private sizes = new Uint32Array(0);
  /** The sha256 of each image, 32 bytes each. */
  private sha = new Uint8Array(0);

  constructor(private readonly cwd: string) {}

  static of(images: Iterable<Input>, cwd: string): ImageList {
    const list = new ImageList(cwd);
    for (const img of images) list.push(img);
    return list;
  }

  push(img: Input): void {
    const i = this.length;
    this.grow(i + 1);
    this.length = i + 1;
    this.paths.push(img.path);
    if (isBadInput(img) || img.source.kind !== 'file' || img.original !== undefined || !HEX_SHA256.test(img.sha256)) {
      this.whole.set(i, img);
      return;
    }
    if (path.resolve(this.cwd, img.path) !== img.source.file) this.files.set(i, img.source.file);
    let type = this.types.findIndex((t) => t.mime === img.mime && t.kind === img.kind);
    if (type === -1) type = this.types.push({ mime: img.mime, kind: img.kind }) - 1;
    if (type > 255) {
      // More than 256 kinds of media: keep this one whole (a typed byte holds the rest).
      this.whole.set(i, img);
      return;
    }
    this.typeOf[i] = type;
    this.bytes[i] = img.bytes;
    this.sizes[2 * i] = img.dimensions?.width ?? 0;
    this.sizes[2 * i + 1] = img.dimensions?.height ?? 0;
    this.sha.set(Buffer.from(img.sha256, 'hex'), 32 * i);
  }

  /** The input at `i`, as a new value. */
  get(i: number): Input {
    if (i < 0 || i >= this.length) throw new RangeError(`no image ${i} of ${this.length}`);
    const kept = this.whole.get(i);
    if (kept) return kept;
    const shown = this.paths.get(i);
    const type = this.types[this.typeOf[i] as number] as { mime: string; kind: MediaKind };
    const width = this.sizes[2 * i] as number;
    const height = this.sizes[2 * i + 1] as number;
    return {
      path: shown,
      mime: type.mime,
      kind: type.kind,
      bytes: this.bytes[i] as number,
      sha256: Buffer.from(this.sha.buffer, this.sha.byteOffset + 32 * i, 32).toString('hex'),
      dimensions: width > 0 && height > 0 ? { width, height } : undefined,
      source: { kind: 'file', file: this.files.get(i) ?? path.resolve(this.cwd, shown) },
    };
  }

  /** The shown path of image `i`, without making its value. */
  pathOf(i: number): string {
    return this.paths.get(i);
  }

  /** Every input as a value (for what takes them all at once: the resizer). */
  toArray(): Input[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  /** The images for which `keep` is true, in order, as a new list. */
  filter(keep: (img: Input, i: number) => boolean): ImageList {
    const out = new ImageList(this.cwd);
    for (let i = 0; i < this.length; i++) {
      const img = this.get(i);
      if (keep(img, i)) out.push(img);
    }
    return out;
  }

  /** Room for `n` images: the typed arrays double as they fill. */
  private grow(n: number): void {
    if (n <= this.bytes.length) return;
    const room = Math.max(64, 2 * this.bytes.length, n);
    const more = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, make: (size: number) => T, per: number): T => {
      const next = make(room * per);
      next.set(old);
      return next;
    };
    this.typeOf = more(this.typeOf, (s) => new Uint8Array(s), 1);
    this.bytes = more(this.bytes, (s) => new Float64Array(s), 1);
    this.sizes = more(this.sizes, (s) => new Uint32Array(s), 2);
    this.sha = more(this.sha, (s) => new Uint8Array(s), 32);
  }
}

/**
 * Strings kept as their characters in one growing buffer: Latin-1 bytes when every character fits
 * in one (a one-byte string back), UTF-16 code units otherwise (lone surrogates kept: file-name.ts).
 */
class Strings {
  private bytes = Buffer.allocUnsafe(4096);
  private used = 0;
  private count = 0;
  /** Where string i starts in `bytes` (its end is where i + 1 starts), and 1 where it is UTF-16. */
  private starts = new Float64Array(64);
  private wide = new Uint8Array(64);

  push(s: string): void {
    const isWide = !ONE_BYTE.test(s);
    const size = isWide ? 2 * s.length : s.length;
    if (this.used + size > this.bytes.length) {
      const more = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + size));
      this.bytes.copy(more, 0, 0, this.used);
      this.bytes = more;
    }
    if (this.count + 1 === this.starts.length) {
      const starts = new Float64Array(2 * this.starts.length);
      starts.set(this.starts);
      this.starts = starts;
      const wide = new Uint8Array(2 * this.wide.length);
      wide.set(this.wide);
      this.wide = wide;
    }
    this.wide[this.count] = isWide ? 1 : 0;
    this.used += this.bytes.write(s, this.used, isWide ? 'utf16le' : 'latin1');
    this.starts[++this.count] = this.used;
  }

  get(i: number): string {
    return this.bytes.toString(this.wide[i] === 1 ? 'utf16le' : 'latin1', this.starts[i] as number, this.starts[i + 1] as number);
  }
}

const ONE_BYTE = /^[\u0000-\u00ff]*$/;
