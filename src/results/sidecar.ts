// Sidecars of --write: `shot.png` -> `shot.png.txt|json|md`, next to the image, written atomically
// (a temporary whose name fits NAME_MAX however long the image's name is, then a rename).
import { access } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, StoreError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { errnoWords } from '../store/store-error.js';
import { markdownSection, relativeLink } from './formats.js';
import { ImageFailure, type ImageRecord } from './record.js';

const SIDECAR_EXTS = ['txt', 'json', 'md'] as const;
export type SidecarExt = (typeof SIDECAR_EXTS)[number];

function sidecarPath(imageFile: string, ext: SidecarExt): string {
  return `${imageFile}.${ext}`;
}

/** `shot.png.txt` and the like: what --write leaves in a folder (not reported when a folder is read). */
export function looksLikeSidecar(name: string): boolean {
  return /\.[A-Za-z0-9]{2,5}\.(txt|json|md)$/.test(name);
}

export async function hasSidecar(imageFile: string, ext: SidecarExt): Promise<boolean> {
  return access(sidecarPath(imageFile, ext)).then(
    () => true,
    () => false,
  );
}

/** txt: the description; json: the record (pretty); md: a section linking the image beside it. */
function sidecarText(r: ImageRecord, imageFile: string, ext: SidecarExt): string {
  if (ext === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (ext === 'md') return markdownSection(r, relativeLink(path.dirname(imageFile), imageFile));
  return `${r.text.trim()}\n`;
}

export async function writeSidecar(r: ImageRecord, imageFile: string, ext: SidecarExt): Promise<string> {
  const file = sidecarPath(imageFile, ext);
  await writeFileAtomic(file, sidecarText(r, imageFile, ext));
  return file;
}

/** A sidecar that cannot be written fails its image (exit 74, as any file the tool writes), naming why. */
export function sidecarFailure(err: unknown, shownPath: string, ext: SidecarExt): ImageFailure {
  const code = err instanceof StoreError ? err.code : ((err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN');
  return new ImageFailure(
    EXIT.io,
    'sidecar_failed',
    `the sidecar ${shownPath}.${ext} cannot be written: ${errnoWords(code)} (${code}).`,
    err instanceof StoreError && err.hint ? err.hint : 'Check that the folder is writable and has room.',
  );
}
