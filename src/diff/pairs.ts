// The inputs of `diff` -> the pairs to compare, sorted by name:
//   two files                  one pair;
//   two folders                pairs by relative path; a file on one side only is `added` / `removed`;
//   one folder                 Playwright's results: `<name>-expected.<ext>` / `<name>-actual.<ext>`
//                              in any subfolder (as under test-results/), paired by folder and name;
//                              its `-diff` and `-previous` images are ignored; an actual without an
//                              expected is `added`, an expected without an actual `removed`.
// Only files whose first bytes sniff as an image count (sniff.ts); in folders the others are
// skipped with a note. Images are read for their head only: hashing waits for the comparison.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { readError, readFileOnce, toImage } from '../inputs/read.js';

export type PairEntry =
  | { status: 'pair'; name: string; before: Image; after: Image }
  | { status: 'added'; name: string; after: Image }
  | { status: 'removed'; name: string; before: Image };

type PairMode = 'files' | 'folders' | 'playwright';

export interface Pairs {
  mode: PairMode;
  entries: PairEntry[];
  /** Lines for stderr: files skipped or ignored. */
  notes: string[];
}

const USAGE_HINT = 'Give two images, two folders (pairs by relative path), or one Playwright results folder (test-results/).';

export async function resolvePairs(args: readonly string[], cwd: string): Promise<Pairs> {
  if (args.length < 1 || args.length > 2) throw new UsageError(`diff takes two images, two folders or one folder, not ${args.length} inputs.`, USAGE_HINT);
  const stats = await Promise.all(args.map((a) => statInput(a, cwd)));
  const first = stats[0] as Stats;
  const second = stats[1];
  const [a, b] = args as [string, string];
  if (!second) {
    if (first.isFile()) throw new UsageError(`${a}: one image is not a pair; diff compares two.`, USAGE_HINT);
    return playwrightPairs(a, cwd);
  }
  if (first.isFile() && second.isFile()) {
    const [before, after] = await Promise.all([readImageArg(a, first.size, cwd), readImageArg(b, second.size, cwd)]);
    return { mode: 'files', entries: [{ status: 'pair', name: b, before, after }], notes: [] };
  }
  if (first.isDirectory() && second.isDirectory()) return folderPairs(a, b, cwd);
  const [file, dir] = first.isFile() ? [a, b] : [b, a];
  throw new UsageError(`${file} is a file and ${dir} a folder: diff compares two files or two folders.`, USAGE_HINT);
}

async function statInput(arg: string, cwd: string): Promise<Stats> {
  if (arg === '' || arg === '-') throw new UsageError(`diff reads files and folders, not ${arg === '' ? 'an empty string' : 'stdin'}.`, USAGE_HINT);
  const info = await stat(path.resolve(cwd, arg)).catch((err: unknown) => {
    throw readError(err, arg);
  });
  if (!info.isFile() && !info.isDirectory()) throw new InputError(`${arg}: not a regular file or folder (a FIFO, socket or device).`);
  return info;
}

/** A file named on the command line: an image, or refused like any input (exit 3). */
async function readImageArg(arg: string, size: number, cwd: string): Promise<Image> {
  const file = path.resolve(cwd, arg);
  const img = toImage(arg, { kind: 'file', file }, await readFileOnce(file, arg, size, { deferHash: true }));
  if (img.kind !== 'image') throw new InputError(`${arg}: a video; diff compares images.`, 'Take a frame of it as PNG first.');
  return img;
}

async function folderPairs(a: string, b: string, cwd: string): Promise<Pairs> {
  const [left, right] = await Promise.all([imagesIn(a, cwd), imagesIn(b, cwd)]);
  const names = [...new Set([...left.images.keys(), ...right.images.keys()])].sort(byCodePoint);
  if (names.length === 0) throw new UsageError(`no images in ${a} or ${b}.`, 'Point at folders holding PNG, JPEG, WebP, GIF, BMP or HEIC files.');
  const entries = names.map((name): PairEntry => {
    const before = left.images.get(name);
    const after = right.images.get(name);
    if (before && after) return { status: 'pair', name, before, after };
    return before ? { status: 'removed', name, before } : { status: 'added', name, after: after as Image };
  });
  return { mode: 'folders', entries, notes: [...skippedNote([...left.skipped, ...right.skipped])] };
}

/** Playwright names: `<name>-expected.png` next to `<name>-actual.png`, in a folder per test. */
const PLAYWRIGHT = /^(.+)-(expected|actual|diff|previous)\.[^./]+$/;

async function playwrightPairs(dir: string, cwd: string): Promise<Pairs> {
  const found = await imagesIn(dir, cwd);
  const sides = new Map<string, { expected?: Image; actual?: Image }>();
  const ignored: string[] = [];
  for (const [rel, img] of found.images) {
    const m = PLAYWRIGHT.exec(rel);
    const role = m?.[2];
    if (!m || (role !== 'expected' && role !== 'actual')) {
      if (!m) ignored.push(img.path);
      continue;
    }
    const key = m[1] as string;
    const side = sides.get(key) ?? {};
    if (side[role])
      ignored.push(img.path); // the same name in two formats: the first in sorted order wins
    else side[role] = img;
    sides.set(key, side);
  }
  if (sides.size === 0) {
    throw new UsageError(
      `no Playwright pairs in ${dir}: no <name>-expected.<ext> / <name>-actual.<ext> images.`,
      'Give the test-results folder of a failed Playwright run, or two images or two folders to compare.',
    );
  }
  const entries = [...sides.keys()].sort(byCodePoint).map((name): PairEntry => {
    const { expected, actual } = sides.get(name) as { expected?: Image; actual?: Image };
    if (expected && actual) return { status: 'pair', name, before: expected, after: actual };
    return expected ? { status: 'removed', name, before: expected } : { status: 'added', name, after: actual as Image };
  });
  const notes = [...skippedNote(found.skipped)];
  if (ignored.length > 0)
    notes.push(`ignored ${count(ignored.length, 'image')} that ${ignored.length === 1 ? 'is' : 'are'} not part of an -expected/-actual pair: ${list(ignored)}`);
  return { mode: 'playwright', entries, notes };
}

interface Listing {
  /** By path relative to the folder, '/'-separated, in sorted order. */
  images: Map<string, Image>;
  skipped: string[];
}

const READ_PARALLEL = 4;

/** Every image under `dir` (recursively, hidden files left out), read for its head only. */
async function imagesIn(dir: string, cwd: string): Promise<Listing> {
  const root = path.resolve(cwd, dir);
  const fg = (await import('fast-glob')).default;
  const files = (await fg('**/*', { cwd: root, onlyFiles: true, dot: false, unique: true, suppressErrors: true, stats: true }))
    .map((e) => ({ rel: e.path, size: e.stats?.size ?? 0 }))
    .sort((x, y) => byCodePoint(x.rel, y.rel));
  const images: (Image | undefined)[] = new Array(files.length);
  const skipped: (string | undefined)[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const { rel, size } = files[i] as { rel: string; size: number };
      const file = path.join(root, rel);
      const shown = path.join(dir, rel);
      const read = await readFileOnce(file, shown, size, { deferHash: true });
      const sniff = read.sniff;
      if (sniff.ok && sniff.kind === 'image') images[i] = toImage(shown, { kind: 'file', file }, read);
      else skipped[i] = shown;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_PARALLEL, files.length) }, worker));
  const map = new Map<string, Image>();
  files.forEach((f, i) => {
    const img = images[i];
    if (img) map.set(f.rel, img);
  });
  return { images: map, skipped: skipped.filter((s): s is string => s !== undefined) };
}

function skippedNote(skipped: string[]): string[] {
  if (skipped.length === 0) return [];
  return [`skipped ${count(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not ${skipped.length === 1 ? 'an image' : 'images'}: ${list(skipped)}`];
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const list = (items: string[]) => items.slice(0, 3).join(', ') + (items.length > 3 ? `, … (${items.length - 3} more)` : '');
const byCodePoint = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
