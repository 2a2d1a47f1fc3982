// An attachment as a value: resolved, read once (hashed, sniffed, measured) before any network call.
import type { MediaKind } from './sniff.js';
import type { Dimensions } from './dimensions.js';

export type ImageSource =
  | { kind: 'file'; file: string }
  | { kind: 'memory'; data: Uint8Array };

export interface Image {
  /** As the user gave it (relative to cwd), or `-` for stdin. */
  path: string;
  mime: string;
  kind: MediaKind;
  bytes: number;
  sha256: string;
  dimensions: Dimensions | undefined;
  source: ImageSource;
}

/** The public part of an image, as printed in JSON output. */
export function imageSummary(img: Image): { path: string; mime: string; bytes: number; sha256: string } {
  return { path: img.path, mime: img.mime, bytes: img.bytes, sha256: img.sha256 };
}
