// The image a document points at, read like every input of the tool: a file (its size against the
// request limit, read once, hashed, sniffed by its bytes) or an http(s) URL downloaded with the
// limits of URL inputs, then sniffed the same way. Anything that is not a supported image is an
// InputError naming it (a video too: alt text is for images).
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { readError, readFileOnce, readMemoryOnce, toImage } from '../inputs/read.js';
import { base64Length, MAX_BODY_BYTES } from '../limits.js';
import type { ImageSource } from './source.js';

export interface ImageReading {
  /** Fetches an http(s) image (api/download.ts, injected: the limits and the run's signal come with it). */
  download: (url: string) => Promise<Uint8Array>;
}

/** The Image of a file or remote source; `name` is how messages show it. Throws InputError. */
export async function readSourceImage(source: Exclude<ImageSource, { kind: 'unsupported' }>, name: string, r: ImageReading): Promise<Image> {
  const image = source.kind === 'file' ? await readFile(source.file, name) : await readRemote(source.url, name, r);
  if (image.kind !== 'image')
    throw new InputError(`${name}: a video (${image.mime}), not an image.`, 'Alt text is written for images; give the video a caption or a transcript instead.');
  return image;
}

async function readFile(file: string, name: string): Promise<Image> {
  let size: number;
  try {
    const info = statSync(file);
    if (info.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    size = info.size;
  } catch (err) {
    const e = readError(err, name);
    // (readError's hint speaks of the command line's globs; here the path is the document's)
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new InputError(e.message, 'Fix the path in the document: it is read relative to the document, and /… under --root.');
    throw e;
  }
  if (base64Length(size) > MAX_BODY_BYTES) {
    throw new InputError(
      `${name}: ${(size / 1048576).toFixed(1)} MB is too large; encoded it would be over the API's 100 MB request limit.`,
      'Shrink or re-encode it (e.g. to JPEG) first.',
    );
  }
  const read = await readFileOnce(file, name, size);
  return toImage(name, { kind: 'file', file }, read);
}

async function readRemote(url: string, name: string, r: ImageReading): Promise<Image> {
  const data = await r.download(url);
  return toImage(name, { kind: 'memory', data }, readMemoryOnce(data));
}
