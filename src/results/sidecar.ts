// Sidecars of --write: `shot.png` -> `shot.png.txt|json|md`, next to the image, written atomically.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { markdownSection, relativeLink } from './formats.js';
import type { ImageRecord } from './record.js';

export const SIDECAR_EXTS = ['txt', 'json', 'md'] as const;
export type SidecarExt = (typeof SIDECAR_EXTS)[number];

export function sidecarPath(imageFile: string, ext: SidecarExt): string {
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
export function sidecarText(r: ImageRecord, imageFile: string, ext: SidecarExt): string {
  if (ext === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (ext === 'md') return markdownSection(r, relativeLink(path.dirname(imageFile), imageFile));
  return `${r.text.trim()}\n`;
}

export async function writeSidecar(r: ImageRecord, imageFile: string, ext: SidecarExt): Promise<string> {
  const file = sidecarPath(imageFile, ext);
  await writeFileAtomic(file, sidecarText(r, imageFile, ext));
  return file;
}
