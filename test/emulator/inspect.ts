// Decodes the data: URLs of a request once, and makes the small copy of the body the log keeps.

import { createHash } from 'node:crypto';
import { imageSize, sniffMedia, type Size, type Sniffed } from './media.js';
import type { MediaInfo } from './types.js';

export interface DataUrlInfo {
  /** The MIME type the URL claims (before any ';' parameter). */
  claimed: string;
  bytes: number;
  sha256: string;
  sniffed: Sniffed;
  size: Size | undefined;
  /** The payload is not valid base64. */
  badBase64: boolean;
}

/** What the emulator knows of an uploaded file a part can reference as ms://<id>. */
interface StoredMedia {
  purpose: string;
  bytes: number;
  sha256: string;
  sniffed: Sniffed;
  size: Size | undefined;
}

export type FileLookup = (id: string) => StoredMedia | undefined;

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*);base64,/;

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Decodes a `data:<mime>;base64,<b64>` URL, or undefined when it is not one. */
function inspectDataUrl(url: string): DataUrlInfo | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  const payload = url.slice(m[0].length);
  const buf = Buffer.from(payload, 'base64');
  // Node skips characters that are not base64, so a payload with any is shorter than its length says.
  // (A regex over a 96 MB payload would cost half a second.)
  const pad = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const badBase64 = payload.length % 4 !== 0 || buf.length !== (payload.length / 4) * 3 - pad;
  const sniffed = sniffMedia(buf);
  return {
    claimed: (m[1] ?? '').trim().toLowerCase(),
    bytes: buf.length,
    sha256: sha256(buf),
    sniffed,
    size: sniffed.kind === 'image' ? imageSize(buf, sniffed.mime) : undefined,
    badBase64,
  };
}

/**
 * A copy of `value` with every base64 data: URL replaced by a short description; the decoded
 * facts of each URL are remembered in `seen` (keyed by the URL) for validation.
 */
export function summarise(value: unknown, seen: Map<string, DataUrlInfo>): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith('data:')) return value;
    let info = seen.get(value);
    if (!info) {
      info = inspectDataUrl(value);
      if (!info) return value.length > 256 ? `${value.slice(0, 64)}...<${value.length} chars>` : value;
      seen.set(value, info);
    }
    return `data:${info.claimed};base64,<${info.bytes} bytes sha256=${info.sha256}>`;
  }
  if (Array.isArray(value)) return value.map((v) => summarise(v, seen));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = summarise(v, seen);
    return out;
  }
  return value;
}

/** The URL of an image_url / video_url part, whichever shape it came in. */
export function partUrl(part: Record<string, unknown>): unknown {
  const field = part.type === 'video_url' ? part.video_url : part.image_url;
  if (typeof field === 'string') return field;
  if (field && typeof field === 'object') return (field as Record<string, unknown>).url;
  return undefined;
}

/** The image and video parts of all messages, in order, as far as they can be decoded. */
export function collectMedia(body: unknown, seen: Map<string, DataUrlInfo>, files: FileLookup): MediaInfo[] {
  const out: MediaInfo[] = [];
  const messages = body && typeof body === 'object' ? (body as Record<string, unknown>).messages : undefined;
  if (!Array.isArray(messages)) return out;
  for (const message of messages) {
    const content = message && typeof message === 'object' ? (message as Record<string, unknown>).content : undefined;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      if (!part || typeof part !== 'object') continue;
      const p = part as Record<string, unknown>;
      if (p.type !== 'image_url' && p.type !== 'video_url') continue;
      const url = partUrl(p);
      if (typeof url !== 'string') continue;
      const data = seen.get(url);
      if (data) {
        out.push({ mime: data.claimed, bytes: data.bytes, sha256: data.sha256, source: 'data' });
        continue;
      }
      const file = url.startsWith('ms://') ? files(url.slice(5)) : undefined;
      if (file) out.push({ mime: file.sniffed.mime, bytes: file.bytes, sha256: file.sha256, source: 'ms' });
    }
  }
  return out;
}
