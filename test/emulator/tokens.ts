// Token counting as the emulated service does it (kimi-api.md): text by UTF-8 bytes, images by
// resolution (the open-weights preprocessor: 14 px patches, merged 2x2, padded to 28 px).

import type { Size } from './media.js';

export const PER_MESSAGE_TOKENS = 8;
/** Tokens of an image whose size cannot be read from its header. */
const UNKNOWN_IMAGE_TOKENS = 1_024;
/** Tokens of a video part (the service does not document it; a fixed guess). */
export const VIDEO_TOKENS = 4_096;

const PATCH = 14;
const MERGED = 28;
const MAX_SIDE = 7_168;

/** About one token per 4 bytes of UTF-8. */
export function textTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/**
 * Tokens of one image for a model with the given patch limit:
 * scale = min(1, sqrt(limit / patches), 7168 / w, 7168 / h) with patches counted in whole 14 px
 * patches; the scaled size is truncated to whole pixels, then padded up to multiples of 28.
 */
export function imageTokens(size: Size | undefined, patchLimit: number): number {
  if (!size || size.width <= 0 || size.height <= 0) return UNKNOWN_IMAGE_TOKENS;
  const { width, height } = size;
  const patches = Math.max(1, Math.floor(width / PATCH)) * Math.max(1, Math.floor(height / PATCH));
  const scale = Math.min(1, Math.sqrt(patchLimit / patches), MAX_SIDE / width, MAX_SIDE / height);
  const w = Math.min(MAX_SIDE, Math.max(1, Math.floor(width * scale)));
  const h = Math.min(MAX_SIDE, Math.max(1, Math.floor(height * scale)));
  return Math.ceil(w / MERGED) * Math.ceil(h / MERGED);
}

/** The longest prefix of `text` (whole code points) that fits in `budget` tokens. */
export function cutToTokens(text: string, budget: number): string {
  if (textTokens(text) <= budget) return text;
  const maxBytes = Math.max(0, budget) * 4;
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}
