// The local record of a submitted batch: which image each custom_id stands for, kept in the state
// dir (…/batches/<batch_id>.json) so `batch fetch` can write results in input order and sidecars
// next to the images. Holds paths and hashes only, never the key. Written atomically and durably
// (a batch already paid for is found by it); read back checked: wrong shape is damaged, exit 2.
import path from 'node:path';
import { UsageError } from '../errors.js';
import { imageFile, type Image } from '../inputs/image.js';
import type { Currency } from '../models.js';
import { writeFileAtomic } from '../store/atomic.js';
import { storePaths } from '../store/paths.js';
import { count, literal, object, optional, record, string } from '../store/shape.js';
import { readStateJson } from '../store/state-file.js';

const VERSION = 1;

export interface ManifestImage {
  /** As the user gave it (relative to the cwd of submit), `-` for stdin, or the URL. */
  path: string;
  /** The absolute file, for sidecars and Markdown links; absent for stdin and URLs. */
  file?: string;
  sha256: string;
  mime: string;
  bytes: number;
}

export interface Manifest {
  version: number;
  batch_id: string;
  input_file_id: string;
  model: string;
  currency: Currency;
  /** The --max-chars the prompt asked for: a longer answer fails its image at fetch time. */
  max_chars?: number;
  /** Which of the batches of one submit this is: part/parts. */
  part: number;
  parts: number;
  created_at: string;
  /** custom_id -> image, in input order. */
  images: Record<string, ManifestImage>;
}

const manifestShape = object({
  version: literal(VERSION),
  batch_id: string,
  input_file_id: string,
  model: string,
  currency: literal('CNY', 'USD'),
  max_chars: optional(count),
  part: count,
  parts: count,
  created_at: string,
  images: record(object({ path: string, file: optional(string), sha256: string, mime: string, bytes: count })),
});

function manifestDir(env: Record<string, string | undefined>): string {
  return storePaths(env).batchesDir;
}

/** A batch id as a file name: what the API gives is safe, anything else is refused. */
export function manifestPath(env: Record<string, string | undefined>, batchId: string): string {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(batchId) || batchId.startsWith('.'))
    throw new UsageError(`${batchId} is not a batch id.`, 'Give the id batch submit printed (e.g. batch_abc123).');
  return path.join(manifestDir(env), `${batchId}.json`);
}

export function manifestImage(img: Image): ManifestImage {
  const file = imageFile(img); // a resized image's sidecar goes next to its original
  return {
    path: img.path,
    ...(file ? { file } : {}),
    sha256: img.sha256,
    mime: img.mime,
    bytes: img.bytes,
  };
}

export async function saveManifest(env: Record<string, string | undefined>, m: Omit<Manifest, 'version'>): Promise<string> {
  const file = manifestPath(env, m.batch_id);
  await writeFileAtomic(file, `${JSON.stringify({ version: VERSION, ...m }, null, 2)}\n`, { durable: true });
  return file;
}

/** The manifest of a batch, or undefined when this machine has none. A damaged one: exit 2. */
export async function loadManifest(env: Record<string, string | undefined>, batchId: string): Promise<Manifest | undefined> {
  const file = manifestPath(env, batchId);
  const hint = `Remove it (rm ${file}); batch fetch then prints the custom ids instead of paths, and cannot --write.`;
  return readStateJson(file, manifestShape, { hint })?.value as Manifest | undefined;
}
