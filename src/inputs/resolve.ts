// argv strings -> Image values, in argument order. Files, quoted globs, directories, `-` for stdin.
import { realpathSync, statSync, type Stats } from 'node:fs';
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { base64Length, MAX_BODY_BYTES } from '../limits.js';
import type { Image } from './image.js';
import { accepted, readFileOnce, readMemoryOnce, readError, toImage } from './read.js';
import { forEachBounded } from '../concurrency.js';

export interface ResolveOptions {
  cwd: string;
  /** Reads all of stdin; called at most once. */
  readStdin: () => Promise<Uint8Array>;
  /** Fetches an http(s) input (injected: this module does no network itself). */
  download?: (url: string) => Promise<Uint8Array>;
  /** Notes for stderr (skipped files in directories). */
  warn?: (line: string) => void;
  /** Files found in directories that are skipped without a word when not images (e.g. sidecars). */
  expected?: (shownAs: string) => boolean;
  /** Also take images the API refuses but resize.ts converts (TIFF, AVIF): resize options were given. */
  convert?: boolean;
  /** Files are not hashed now (see Image.sha256): for one request, or a dry run of one. */
  deferHash?: boolean;
}

/** One planned input: a file on disk or stdin, with the name shown to the user. */
type Planned = { kind: 'file'; file: string; shownAs: string; fromDir: boolean; size: number } | { kind: 'stdin' } | { kind: 'url'; url: string };

const READ_PARALLEL = 4;

export async function resolveInputs(args: readonly string[], opts: ResolveOptions): Promise<Image[]> {
  const found: Image[] = [];
  await streamInputs(args, opts, (img) => found.push(img));
  return found;
}

/**
 * resolveInputs, handing each image to `take` in input order as soon as it (and every one before
 * it) is read, and keeping none: for --each, which keeps thousands of them compactly
 * (each/image-list.ts). Resolves to the number of images taken.
 */
export async function streamInputs(args: readonly string[], opts: ResolveOptions, take: (img: Image) => void): Promise<number> {
  const planned: (Planned | undefined)[] = await expandArgs(args, opts.cwd);
  const fromDirs = planned.some((p) => p?.kind === 'file' && p.fromDir);
  let stdinUsed = false;
  const skipped: string[] = [];
  const read = async (p: Planned): Promise<Image | undefined> => {
    if (p.kind === 'stdin') {
      if (stdinUsed) throw new UsageError('`-` (stdin) given more than once.', 'Stdin holds one image.');
      stdinUsed = true;
      const data = await opts.readStdin();
      return toImage('-', { kind: 'memory', data }, readMemoryOnce(data), opts.convert);
    }
    if (p.kind === 'url') {
      if (!opts.download) throw new UsageError(`${p.url}: URLs are not taken here.`);
      const data = await opts.download(p.url);
      return toImage(p.url, { kind: 'memory', data }, readMemoryOnce(data), opts.convert);
    }
    const result = await readFileOnce(p.file, p.shownAs, p.size, { deferHash: opts.deferHash === true });
    if (p.fromDir && !accepted(result.sniff, opts.convert === true)) {
      if (!opts.expected?.(p.shownAs)) skipped.push(p.shownAs);
      return undefined;
    }
    return toImage(p.shownAs, { kind: 'file', file: p.file }, result, opts.convert);
  };
  // READ_PARALLEL reads at a time; one that finishes before an earlier one waits (a few at most),
  // and each input's plan is dropped once it is read.
  const ready = new Map<number, Image | undefined>();
  let next = 0;
  let taken = 0;
  await forEachBounded(planned.length, READ_PARALLEL, async (i) => {
    ready.set(i, await read(planned[i] as Planned));
    planned[i] = undefined;
    for (; ready.has(next); next++) {
      const img = ready.get(next);
      ready.delete(next);
      if (img) {
        take(img);
        taken += 1;
      }
    }
  });
  if (skipped.length > 0 && opts.warn) {
    const list = skipped.slice(0, 3).join(', ') + (skipped.length > 3 ? `, … (${skipped.length - 3} more)` : '');
    opts.warn(`skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'} in directories that are not supported images: ${list}`);
  }
  if (taken === 0 && fromDirs) {
    throw new UsageError(`no supported image in ${args.join(' ')}.`, 'Point at PNG, JPEG, WebP, GIF, BMP or HEIC files.');
  }
  return taken;
}

/** Expands globs and directories, in argument order; drops duplicate paths (first one wins). */
export async function expandArgs(args: readonly string[], cwd: string): Promise<Planned[]> {
  const out: Planned[] = [];
  const seen = new Map<string, number>();
  // Duplicates are the same file, however reached (a glob and a directory, a symlink loop): the first
  // keeps its place, under the shortest of its names.
  const add = (file: string, shownAs: string, fromDir: boolean, size: number) => {
    const abs = path.resolve(cwd, file);
    let real = abs;
    try {
      real = realpathSync.native(abs); // synchronous: microseconds, where a thread-pool round trip is more
    } catch {}
    const at = seen.get(real);
    if (at === undefined) {
      seen.set(real, out.push({ kind: 'file', file: flat(abs), shownAs: flat(shownAs), fromDir, size }) - 1);
      return;
    }
    const kept = out[at] as Extract<Planned, { kind: 'file' }>;
    if (shownAs.length < kept.shownAs.length) out[at] = { ...kept, file: abs, shownAs };
  };
  for (const arg of args) {
    if (arg === '-') {
      out.push({ kind: 'stdin' });
      continue;
    }
    if (/^https?:\/\//i.test(arg)) {
      out.push({ kind: 'url', url: arg });
      continue;
    }
    if (arg === '') throw new UsageError('an empty string was given as an input.', 'Pass a file, a quoted glob, a directory or -.');
    const info = statOrError(path.resolve(cwd, arg));
    if (!(info instanceof Error)) {
      if (info.isDirectory()) {
        for (const f of await globSorted('**/*', path.resolve(cwd, arg))) {
          checkSize(path.join(arg, f.path), f.size);
          add(path.join(path.resolve(cwd, arg), f.path), path.join(arg, f.path), true, f.size);
        }
      } else if (info.isFile()) {
        checkSize(arg, info.size);
        add(arg, arg, false, info.size);
      } else {
        throw new InputError(`${arg}: not a regular file (a FIFO, socket or device).`, 'Save it to a file first, or pipe it in with -.');
      }
      continue;
    }
    if ((await loadGlob()).isDynamicPattern(arg)) {
      const matches = await globSorted(arg, cwd);
      if (matches.length === 0) throw new UsageError(`no file matches ${arg}.`, 'Check the pattern; it is matched relative to the current directory.');
      for (const m of matches) {
        checkSize(m.path, m.size);
        add(m.path, m.path, false, m.size);
      }
      continue;
    }
    // A dangling symlink or an unreadable parent directory still deserves its own message.
    const link = await fsPromises().lstat(path.resolve(cwd, arg)).catch(() => undefined);
    if (link?.isSymbolicLink()) throw new InputError(`${arg}: a symbolic link to a missing file.`);
    throw readError(info, arg);
  }
  return out;
}

/**
 * A flat copy of a path. path.join and path.resolve return a tree of pieces in V8 (257 bytes for a
 * 40-character path, against 64 flat), and every planned file keeps two paths until it is read.
 */
const flat = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/** stat, synchronously (like realpath above), or the error it met. */
function statOrError(file: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(file);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/** A file whose base64 alone is over the body limit can never be sent: refuse it before reading it. */
function checkSize(shownAs: string, bytes: number): void {
  if (base64Length(bytes) > MAX_BODY_BYTES) {
    throw new InputError(
      `${shownAs}: ${(bytes / 1048576).toFixed(1)} MB is too large; encoded it would be over the API's 100 MB request limit.`,
      'Shrink or re-encode it (e.g. to JPEG) first.',
    );
  }
}

/** fast-glob, loaded only when a glob or a directory needs it. */
const loadGlob = async () => (await import('fast-glob')).default;

/**
 * The files a pattern matches, sorted, each with its size. Paths only from fast-glob, then a stat
 * each: its `stats` option gave every entry a Stats object and a dirent of seven bound functions,
 * which outlived the walk (20,000 files: 11 MB kept through a dry run).
 */
async function globSorted(pattern: string, cwd: string): Promise<{ path: string; size: number }[]> {
  const fg = await loadGlob();
  const paths = await fg(pattern, { cwd, onlyFiles: true, dot: false, unique: true, suppressErrors: true });
  // Back to the event loop before going on: this code runs in the callback of the walk's last
  // directory read, whose handle scope holds that read's entries (20,000 dirents for one folder)
  // until the microtasks that follow are all done, and reading small files never yields.
  await new Promise<void>((resolve) => setImmediate(resolve));
  paths.sort();
  return paths.map((p) => ({ path: p, size: sizeOf(path.join(cwd, p)) }));
}

/** A file's size; 0 for one that cannot be stat'ed (gone since the walk): reading it then says what happened. */
function sizeOf(file: string): number {
  try {
    return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}
