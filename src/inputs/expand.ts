// argv strings -> the planned inputs, in argument order: files, quoted globs, directories, `-`, URLs.
// A problem with one input (missing, not a regular file, too large) is planned as a bad input in its
// place; what a glob or a walk listed but could not take (gone, unreachable) is skipped with a reason.
import { realpathSync, statSync, type Stats } from 'node:fs';
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { base64Length, MAX_BODY_BYTES } from '../limits.js';
import { decodeName, flat, fsPath, showName } from './file-name.js';
import { FileReadError, readError } from './read.js';
import { type ListedFiles, listFiles, loadGlob, walkFolder, type WalkProblem } from './walk.js';

/** Where a file input came from: named as it is, or listed by a directory walk or a glob. */
type Origin = 'arg' | 'dir' | 'glob';

/** One planned input: a file on disk (with the name shown to the user), stdin, a URL, or a bad input. */
export type Planned =
  | { kind: 'file'; file: string; shownAs: string; origin: Origin; size: number }
  | { kind: 'stdin' }
  | { kind: 'url'; url: string }
  | { kind: 'bad'; shownAs: string; file: string | undefined; error: InputError };

/** A listed entry that was not taken, and why ("a symbolic link to a missing file"). */
export interface Skipped {
  shownAs: string;
  why: string;
}

export interface Expanded {
  planned: PlannedList;
  skipped: Skipped[];
}

/** The files one walk or glob listed, and how each is shown. */
interface Listing {
  root: string;
  files: ListedFiles;
  shown: (rel: string) => string;
  origin: Origin;
}

/**
 * The planned inputs, kept compactly: a file a walk or glob listed is its listing and its place in
 * it (the listing's path string and size: nothing more per file), and its Planned value is made
 * when asked for. A run over a folder of 20,000 files held an object and three strings per file
 * (path, shown name, real path) until every file was read, and V8 doubled its young generation for
 * what survived (bench/README.md). Everything else (a named file, stdin, a URL, a bad input, a file
 * kept under a shorter name) is kept whole.
 */
class PlannedList {
  length = 0;
  private readonly listings: Listing[] = [];
  /** Per planned input: its listing's index + 1 (0: kept whole), and its index in that listing. */
  private listingOf = new Uint32Array(64);
  private indexIn = new Uint32Array(64);
  private readonly whole = new Map<number, Planned>();

  /** A listing whose files are then pushed with pushListed. */
  addListing(l: Listing): number {
    return this.listings.push(l) - 1;
  }

  push(p: Planned): number {
    const i = this.grow();
    this.whole.set(i, p);
    return i;
  }

  pushListed(listing: number, k: number): number {
    const i = this.grow();
    this.listingOf[i] = listing + 1;
    this.indexIn[i] = k;
    return i;
  }

  set(i: number, p: Planned): void {
    this.listingOf[i] = 0;
    this.whole.set(i, p);
  }

  /** The planned input at `i` (a new value each time for a listed file). */
  get(i: number): Planned {
    const at = this.listingOf[i] as number;
    if (at === 0) return this.whole.get(i) as Planned;
    const l = this.listings[at - 1] as Listing;
    const k = this.indexIn[i] as number;
    const rel = l.files.paths[k] as string;
    return { kind: 'file', file: path.join(l.root, rel), shownAs: l.shown(rel), origin: l.origin, size: l.files.size(k) };
  }

  /** The absolute path of a listed file, without making its value. */
  fileOf(i: number): string | undefined {
    const at = this.listingOf[i] as number;
    if (at === 0) {
      const p = this.whole.get(i);
      return p?.kind === 'file' || p?.kind === 'bad' ? p.file : undefined;
    }
    const l = this.listings[at - 1] as Listing;
    return path.join(l.root, l.files.paths[this.indexIn[i] as number] as string);
  }

  /** Whether any file to read was found in a directory (then a run that takes none says so). */
  fromDirs(): boolean {
    for (let i = 0; i < this.length; i++) if (this.originOf(i) === 'dir') return true;
    return false;
  }

  /** Where a file to read came from (undefined for stdin, a URL or a bad input), without making its value. */
  private originOf(i: number): Origin | undefined {
    const at = this.listingOf[i] as number;
    if (at !== 0) return this.listings[at - 1]?.origin;
    const p = this.whole.get(i);
    return p?.kind === 'file' ? p.origin : undefined;
  }

  toArray(): Planned[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  private grow(): number {
    const i = this.length++;
    if (i === this.listingOf.length) {
      const more = (old: Uint32Array) => {
        const next = new Uint32Array(2 * old.length);
        next.set(old);
        return next;
      };
      this.listingOf = more(this.listingOf);
      this.indexIn = more(this.indexIn);
    }
    return i;
  }
}

/**
 * The files seen so far by their real path, compactly: a 30-bit hash of the real path maps to the
 * planned input; the real path itself is kept only where it is not the file's own absolute path
 * (a symlink on the way), and a hash that matches is checked against the real path.
 */
class SeenFiles {
  private readonly byHash = new Map<number, number | number[]>();
  /** Real paths that differ from the planned file's path, by planned index. */
  private readonly realOf = new Map<number, string>();

  constructor(private readonly planned: PlannedList) {}

  find(real: string): number | undefined {
    const at = this.byHash.get(hash(real));
    if (at === undefined) return undefined;
    for (const i of typeof at === 'number' ? [at] : at) if ((this.realOf.get(i) ?? this.planned.fileOf(i)) === real) return i;
    return undefined;
  }

  /** Input i keeps `real` as its real path whatever its file is now called (kept under a shorter name). */
  pin(i: number, real: string): void {
    this.realOf.set(i, real);
  }

  add(real: string, abs: string, i: number): void {
    if (real !== abs) this.realOf.set(i, real);
    const h = hash(real);
    const at = this.byHash.get(h);
    this.byHash.set(h, at === undefined ? i : typeof at === 'number' ? [at, i] : [...at, i]);
  }
}

/** FNV-1a over the UTF-16 code units, cut to 30 bits (a small integer in V8: no object per key). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** A file's real path (symlinks resolved), as bytes so that two names that differ only in bytes that are not UTF-8 stay two files; the path itself when it cannot be resolved. */
function realPathOf(abs: string): string {
  try {
    // Synchronous: microseconds, where a thread-pool round trip is more.
    return decodeName(realpathSync.native(fsPath(abs), 'buffer'));
  } catch {
    return abs;
  }
}

/** Expands globs and directories, in argument order; drops duplicate paths (first one wins). */
export async function expandArgs(args: readonly string[], cwd: string): Promise<Expanded> {
  const planned = new PlannedList();
  const skipped: Skipped[] = [];
  const seen = new SeenFiles(planned);
  // Duplicates are the same file, however reached (a glob and a directory, a symlink loop): the first
  // keeps its place, under the shortest of its names.
  /** A file met again: kept where it was, under the shorter name. */
  const again = (at: number, abs: string, real: string, shownAs: () => string) => {
    const kept = planned.get(at);
    const name = kept.kind === 'file' ? shownAs() : '';
    if (kept.kind !== 'file' || name.length >= kept.shownAs.length) return;
    seen.pin(at, real);
    planned.set(at, { ...kept, file: abs, shownAs: name });
  };
  /** One file reached: planned once (`plan` makes its entry; one too large to send is a bad input), or met again. */
  const place = (abs: string, shownAs: () => string, size: number, plan: () => number, known?: string) => {
    const real = known ?? realPathOf(abs);
    const at = seen.find(real);
    if (at !== undefined) return again(at, abs, real, shownAs);
    const tooLarge = sizeError(shownAs, size);
    seen.add(real, abs, tooLarge ? planned.push({ kind: 'bad', shownAs: shownAs(), file: abs, error: tooLarge }) : plan());
  };
  const add = (file: string, shownAs: string, origin: Origin, size: number) => {
    const abs = path.resolve(cwd, file);
    place(
      abs,
      () => shownAs,
      size,
      () => planned.push({ kind: 'file', file: flat(abs), shownAs: flat(shownAs), origin, size }),
    );
  };
  /** The files a walk or glob listed, and a reason for each entry it could not take. */
  const take = async (pattern: string | undefined, root: string, shown: (rel: string) => string, origin: Origin) => {
    const { files, problems } = pattern === undefined ? await walkFolder(root) : await listFiles(pattern, root);
    const itself = problems.find((p) => p.folder && p.file === root);
    const unread = problems.filter((p) => p !== itself).map((p) => ({ shownAs: shown(path.relative(root, p.file)) + (p.folder ? '/' : ''), why: problemWhy(p) }));
    skipped.push(...unread);
    const listing = planned.addListing({ root, files, shown, origin });
    // A file the walk reached through real folders only is its own real path below the root's: one
    // realpath for the folder, not one per file (each a readlink per component of its path: 20 µs a
    // file, the dry run's largest cost over a big folder).
    const realRoot = pattern === undefined ? realPathOf(root) : undefined;
    for (let k = 0; k < files.length; k++) {
      const rel = files.paths[k] as string;
      place(
        path.join(root, rel),
        () => shown(rel),
        files.size(k),
        () => planned.pushListed(listing, k),
        realRoot !== undefined && files.isPlain(k) ? path.join(realRoot, rel) : undefined,
      );
    }
    return { count: files.length, unread, itself };
  };
  for (const arg of args) {
    if (arg === '-') {
      planned.push({ kind: 'stdin' });
      continue;
    }
    if (/^https?:\/\//i.test(arg)) {
      planned.push({ kind: 'url', url: arg });
      continue;
    }
    if (arg === '') throw new UsageError('an empty string was given as an input.', 'Pass a file, a quoted glob, a directory or -.');
    const abs = path.resolve(cwd, arg);
    const info = statOrError(abs);
    if (!(info instanceof Error)) {
      if (info.isDirectory()) {
        // A folder named on the command line that cannot be opened is that input's error, as a file's would be.
        const { itself } = await take(undefined, abs, (rel) => showName(path.join(arg, rel)), 'dir');
        if (itself) planned.push({ kind: 'bad', shownAs: arg, file: abs, error: readError(Object.assign(new Error(itself.code), { code: itself.code }), arg) });
      } else if (info.isFile()) add(arg, arg, 'arg', info.size);
      else
        planned.push({
          kind: 'bad',
          shownAs: arg,
          file: abs,
          error: new InputError(`${arg}: not a regular file (a FIFO, socket or device).`, 'Save it to a file first, or pipe it in with -.'),
        });
      continue;
    }
    if ((await loadGlob()).isDynamicPattern(arg)) {
      const { count, unread, itself } = await take(arg, cwd, showName, 'glob');
      if (count > 0) continue;
      // Nothing matched: what could not be read may be why.
      if (itself) unread.unshift({ shownAs: '.', why: problemWhy(itself) });
      const why =
        unread.length > 0
          ? ` (${unread
              .map((u) => `${u.shownAs}: ${u.why}`)
              .slice(0, 3)
              .join('; ')}${unread.length > 3 ? '; …' : ''})`
          : '';
      throw new UsageError(`no file matches ${arg}${why}.`, 'Check the pattern; it is matched relative to the current directory.');
    }
    planned.push({ kind: 'bad', shownAs: arg, file: abs, error: await missing(info, arg, abs) });
  }
  return { planned, skipped };
}

/** A named input that cannot be stat'ed: a dangling symlink or an unreadable parent still deserves its own message. */
async function missing(err: NodeJS.ErrnoException, arg: string, abs: string): Promise<InputError> {
  const link = await fsPromises()
    .lstat(abs)
    .catch(() => undefined);
  if (link?.isSymbolicLink() && err.code === 'ENOENT') return new FileReadError('ENOENT', `${arg}: a symbolic link to a missing file.`);
  const e = readError(err, arg);
  // argv is decoded as UTF-8, so a name that is not UTF-8 reaches the tool as U+FFFD and names nothing.
  if (e.code === 'ENOENT' && arg.includes('\uFFFD')) {
    return new FileReadError('ENOENT', e.message, 'Its name is not valid UTF-8 as given: quote a glob or give its folder instead (the tool reads those names exactly).');
  }
  return e;
}

function problemWhy(p: WalkProblem): string {
  const what = p.code === 'EACCES' || p.code === 'EPERM' ? 'permission denied' : p.code;
  if (p.folder) return `a folder that cannot be opened: ${what}; not searched`;
  if (p.link) return p.code === 'ENOENT' ? 'a symbolic link to a missing file' : p.code === 'ELOOP' ? 'a symbolic link loop' : `a symbolic link that cannot be followed: ${what}`;
  return p.code === 'ENOENT' || p.code === 'ENOTDIR' ? 'gone before it was read' : `cannot be examined: ${what}`;
}

/** stat, synchronously (like realpath above), or the error it met. */
function statOrError(file: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(file);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/** A file whose base64 alone is over the body limit can never be sent: refused before it is read. */
function sizeError(shownAs: () => string, bytes: number): InputError | undefined {
  if (base64Length(bytes) <= MAX_BODY_BYTES) return undefined;
  return new InputError(
    `${shownAs()}: ${(bytes / 1048576).toFixed(1)} MB is too large; encoded it would be over the API's 100 MB request limit.`,
    'Shrink or re-encode it (e.g. to JPEG) first.',
  );
}
