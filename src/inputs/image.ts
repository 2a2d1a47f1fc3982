// An attachment as a value: resolved, read once (hashed, sniffed, measured) before any network call.
import type { MediaKind } from './sniff.js';
import type { Dimensions } from './dimensions.js';

export type ImageSource = { kind: 'file'; file: string } | { kind: 'memory'; data: Uint8Array };

/** A value: made once by inputs/, never changed (a resized image is a new Image). */
export interface Image {
  /** As the user gave it (relative to cwd), or `-` for stdin. */
  readonly path: string;
  readonly mime: string;
  readonly kind: MediaKind;
  readonly bytes: number;
  /**
   * Hex sha256 of the bytes. '' while deferred: a file resolved for one request (resolveInputs with
   * deferHash) is hashed as it is read for the body (hashAlong), or by ensureHashed() (inputs/read.ts)
   * when something needs it before or without a send.
   */
  readonly sha256: string;
  readonly dimensions: Dimensions | undefined;
  readonly source: ImageSource;
  /** A file's modification time when it was first read: what a saved conversation checks it by. */
  readonly mtimeMs?: number;
  /** What the input was before --max-edge / --max-bytes re-encoded it; absent when sent as read. */
  readonly original?: Original;
}

interface Original {
  mime: string;
  bytes: number;
  sha256: string;
  dimensions: Dimensions | undefined;
  /** The file it was read from (for sidecars and links); absent for stdin and URLs. */
  file?: string;
}

/** The file an image stands for: where it was read from, even when what is sent is a resized copy. */
export function imageFile(img: Pick<Image, 'source' | 'original'>): string | undefined {
  return img.source.kind === 'file' ? img.source.file : img.original?.file;
}

/** The public part of an image, as JSON output prints it (bytes as sent; original_bytes when resized);
 *  `sha256` for an image whose hash was deferred (see Image.sha256 and ensureHashed). */
export function imageSummary(img: Image, sha256 = img.sha256): { path: string; mime: string; bytes: number; sha256: string; original_bytes?: number } {
  return { path: img.path, mime: img.mime, bytes: img.bytes, sha256, ...(img.original ? { original_bytes: img.original.bytes } : {}) };
}
