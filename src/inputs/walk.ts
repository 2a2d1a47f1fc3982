// Directory walks (our own) and globs (fast-glob), tolerant of a world that changes under them.
//
// What fast-glob 3 does on its own, with `stats: true` (read from its source and @nodelib/fs.*):
// each folder is listed with readdir, then every name is lstat'ed (and stat'ed when a symlink) in
// parallel, and ONE failed stat fails the whole folder's listing; with `suppressErrors` that folder
// is then dropped without a word (without it, the whole glob rejects). So a file deleted between
// readdir and lstat (a folder other processes write into), an entry in a folder that can be listed
// but not searched, or a name that is not UTF-8 (Node decodes it to U+FFFD, which names no file)
// lost every image of its folder, and a subfolder that cannot be opened vanished silently.
//
// Here a glob's fast-glob gets a file-system adapter that never fails a listing: names are read as
// bytes and kept exactly (file-name.ts); an entry whose stat fails becomes an entry that is neither
// file nor folder (so it is neither taken nor descended into) and is recorded as a problem; a folder
// that cannot be read is an empty folder and a problem. Symlink cycles (a folder that is its own
// ancestor) are not descended into, as `find -L` does, instead of looping until ELOOP.
//
// A folder named on the command line is walked by walkFolder with the same rules, without fast-glob:
// fast-glob reads a folder in one readdir and makes an object per entry in one synchronous pass, so
// a folder of 20,000 files had ~7 MB of names, Buffers and entries alive at once, which V8 counts as
// survival and answers by doubling its young generation (bench/README.md). walkFolder reads each
// folder in batches (opendir) and keeps a listed file as one string and one number (ListedFiles).
import fs, { type Stats } from 'node:fs';
import path from 'node:path';
import { decodeName, fsPath } from './file-name.js';

/** Listed files, compactly: a path (relative to the walk's cwd, `/`-separated, raw bytes kept: see file-name.ts) and a size each. */
export class ListedFiles {
  length = 0;
  readonly paths: string[] = [];
  private sizes = new Float64Array(64);
  /** 1 where the path has no symbolic link below the walk's root: its real path is the root's and the path. */
  private plain = new Uint8Array(64);

  push(file: string, size: number, plain = false): void {
    if (this.length === this.sizes.length) {
      const more = new Float64Array(2 * this.length);
      more.set(this.sizes);
      this.sizes = more;
      const flags = new Uint8Array(2 * this.length);
      flags.set(this.plain);
      this.plain = flags;
    }
    this.paths.push(file);
    this.plain[this.length] = plain ? 1 : 0;
    this.sizes[this.length++] = size;
  }

  size(i: number): number {
    return this.sizes[i] as number;
  }

  /** Reached from the root through real folders only, and a regular file itself (not a symlink to one). */
  isPlain(i: number): boolean {
    return this.plain[i] === 1;
  }

  /** The same files sorted by path (so the same tree always reads the same, whatever order the file system answered in). */
  sorted(): ListedFiles {
    const order = Uint32Array.from({ length: this.length }, (_, i) => i).sort((a, b) => byText(this.paths[a] as string, this.paths[b] as string));
    const out = new ListedFiles();
    for (const i of order) out.push(this.paths[i] as string, this.size(i), this.isPlain(i));
    return out;
  }
}

/** An entry or folder the walk could not take, and why (an errno code). */
export interface WalkProblem {
  /** Absolute; raw bytes kept. */
  file: string;
  code: string;
  /** A symlink whose target could not be reached. */
  link: boolean;
  /** A folder that could not be listed: its files were not searched. */
  folder: boolean;
}

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;

/** Codes that mean "not there (any more)": nothing to report for a folder, a note for a listed entry. */
const GONE = new Set(['ENOENT', 'ENOTDIR']);

/** What a walk or glob could not take, as it meets it; sorted by file at the end. */
class Problems {
  private readonly list: WalkProblem[] = [];

  /** An entry that could not be examined (`link`: a symlink whose target could not be reached). */
  entry(file: string, err: unknown, link = false): void {
    this.list.push({ file, code: (err as NodeJS.ErrnoException).code ?? 'EIO', link, folder: false });
  }

  /** A folder that could not be read: a problem unless it is simply gone. */
  folder(dir: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (!GONE.has(code)) this.list.push({ file: dir, code, link: false, folder: true });
  }

  sorted(): WalkProblem[] {
    return this.list.sort((x, y) => byText(x.file, y.file));
  }
}

/** Stats of an entry that could not be stat'ed: not a file, not a folder, so fast-glob drops it. */
const UNSTATABLE = Object.freeze({
  size: 0,
  isFile: () => false,
  isDirectory: () => false,
  isSymbolicLink: () => false,
  isBlockDevice: () => false,
  isCharacterDevice: () => false,
  isFIFO: () => false,
  isSocket: () => false,
}) as unknown as Stats;

/** What a listed entry is (a number: one field of a small object). */
const Kind = { Other: 0, File: 1, Folder: 2, Link: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * A listed entry as fast-glob reads it (a Dirent's methods), with its size. One small object per
 * entry, its methods on the prototype: with fast-glob's `stats` option each entry carried a Stats
 * object and a dirent of seven bound functions (~800 bytes), all alive until the walk ended, which
 * made V8 grow its young generation for the rest of the run (20,000 files: +40 MB of peak RSS).
 */
class Entry {
  constructor(
    readonly name: string,
    private readonly kind: Kind,
    readonly size: number,
  ) {}
  isFile(): boolean {
    return this.kind === Kind.File;
  }
  isDirectory(): boolean {
    return this.kind === Kind.Folder;
  }
  isSymbolicLink(): boolean {
    return this.kind === Kind.Link;
  }
  isBlockDevice(): boolean {
    return false;
  }
  isCharacterDevice(): boolean {
    return false;
  }
  isFIFO(): boolean {
    return false;
  }
  isSocket(): boolean {
    return false;
  }
}

const kindOf = (st: Stats): Kind => (st.isSymbolicLink() ? Kind.Link : st.isFile() ? Kind.File : st.isDirectory() ? Kind.Folder : Kind.Other);

/** fast-glob, loaded only when a glob or a directory needs it. */
export const loadGlob = async () => (await import('fast-glob')).default;

/** The regular files `pattern` matches under `cwd`, sorted by path, and what could not be taken. */
export async function listFiles(pattern: string, cwd: string): Promise<{ files: ListedFiles; problems: WalkProblem[] }> {
  const fg = await loadGlob();
  const problems = new Problems();
  /** Folders listed so far, by path: their identity, to see a folder that is its own ancestor. */
  const listedDirs = new Map<string, string>();
  /** An entry inside a folder this walk listed (not a literal part of the pattern that does not exist). */
  const inListing = (file: string) => listedDirs.has(path.dirname(file));

  /**
   * Each name of a listed folder lstat'ed, one after another and synchronously: microseconds each,
   * where 20,000 reads in flight at once held 20,000 callbacks and Stats objects until the last one
   * answered. One that fails is an entry of no kind, and a problem (listed a moment ago: gone now is
   * worth a note too).
   */
  const typed = (dir: string, names: string[]): Entry[] =>
    names.map((name) => {
      const file = path.join(dir, name);
      try {
        const st = fs.lstatSync(fsPath(file));
        return new Entry(name, kindOf(st), st.size);
      } catch (err) {
        problems.entry(file, err);
        return new Entry(name, Kind.Other, 0);
      }
    });

  const adapter = {
    // fast-glob (without its `stats` option) asks for entries with their types; followed symlinks are
    // then stat'ed through stat() below.
    readdir(dir: string, a: unknown, b?: unknown): void {
      const done = (typeof a === 'function' ? a : b) as Callback<string[] | Entry[]>;
      const withTypes = typeof a === 'object' && a !== null && (a as { withFileTypes?: boolean }).withFileTypes === true;
      fs.stat(fsPath(dir), (statErr, st) => {
        if (statErr) {
          problems.folder(dir, statErr);
          return done(null, []);
        }
        if (isOwnAncestor(listedDirs, dir, `${st.dev}:${st.ino}`)) return done(null, []);
        fs.readdir(fsPath(dir), { encoding: 'buffer' }, (err, names) => {
          if (err) {
            problems.folder(dir, err);
            return done(null, []);
          }
          const decoded = names.map(decodeName);
          done(null, withTypes ? typed(dir, decoded) : decoded);
        });
      });
    },
    lstat(file: string, done: Callback<Stats>): void {
      fs.lstat(fsPath(file), (err, st) => {
        if (!err) return done(null, st);
        if (inListing(file) || !GONE.has(err.code ?? '')) problems.entry(file, err);
        done(null, UNSTATABLE);
      });
    },
    stat(file: string, done: Callback<Stats>): void {
      fs.stat(fsPath(file), (err, st) => {
        if (!err) return done(null, st);
        problems.entry(file, err, true);
        done(null, UNSTATABLE);
      });
    },
  };
  const entries = await fg(pattern, {
    cwd,
    onlyFiles: true,
    dot: false,
    unique: true,
    objectMode: true,
    followSymbolicLinks: true,
    // The adapter reports what fails; nothing is left for fast-glob to throw, but a failure it still
    // met must not end the walk.
    suppressErrors: true,
    fs: adapter as unknown as NonNullable<Parameters<typeof fg>[1]>['fs'],
  });
  // A followed symlink's dirent is made from the target's Stats and has no size: stat'ed here (few).
  const files = new ListedFiles();
  for (const e of entries) files.push(e.path, e.dirent instanceof Entry ? e.dirent.size : sizeOf(path.join(cwd, e.path)));
  entries.length = 0;
  // Back to the event loop before going on: this runs in the callback of the walk's last directory
  // read, whose handle scope holds that read's entries (20,000 entries for one folder) until the
  // microtasks that follow are all done, and reading small files never yields.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { files: files.sorted(), problems: problems.sorted() };
}

/** Entries read between two turns of the event loop: the spinner and Ctrl-C are not kept waiting. */
const SLICE = 512;

/**
 * The regular files under folder `root` at any depth, as listFiles('**' + '/*', root) finds them
 * (names that begin with a dot left out, symlinks followed, a folder that is its own ancestor not
 * descended into), sorted by path, and what could not be taken. Each folder is read in batches and
 * each name lstat'ed as it comes, synchronously (microseconds each), with a turn of the event loop
 * every SLICE entries.
 */
export async function walkFolder(root: string): Promise<{ files: ListedFiles; problems: WalkProblem[] }> {
  const files = new ListedFiles();
  const problems = new Problems();
  const listedDirs = new Map<string, string>();
  let sinceTurn = 0;
  /** Folders to read, each with its path relative to root ('' for root) and whether a symlink led there, deepest last. */
  const folders: { dir: string; rel: string; plain: boolean }[] = [{ dir: root, rel: '', plain: true }];
  for (let next = folders.pop(); next; next = folders.pop()) {
    const { dir, rel, plain } = next;
    const opened = openFolder(dir, listedDirs, problems);
    if (!opened) continue;
    const subfolders: { name: string; plain: boolean }[] = [];
    try {
      for (;;) {
        let entry: { name: Buffer } | null;
        try {
          entry = opened.readSync();
        } catch (err) {
          // A folder that fails part way (removed, a network file system gone): what was read stands.
          problems.folder(dir, err);
          break;
        }
        if (entry === null) break;
        if (entry.name[0] === DOT) continue;
        const name = decodeName(entry.name);
        const file = path.join(dir, name);
        const kind = kindAt(file, problems);
        if (kind.what === Kind.File) files.push(rel === '' ? name : `${rel}/${name}`, kind.size, plain && !kind.linked);
        else if (kind.what === Kind.Folder) subfolders.push({ name, plain: plain && !kind.linked });
        if (++sinceTurn >= SLICE) {
          sinceTurn = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      opened.closeSync();
    }
    // Pushed in reverse so that they are read in the order listed (the result is sorted anyway).
    for (let k = subfolders.length - 1; k >= 0; k--) {
      const sub = subfolders[k] as { name: string; plain: boolean };
      folders.push({ dir: path.join(dir, sub.name), rel: rel === '' ? sub.name : `${rel}/${sub.name}`, plain: sub.plain });
    }
  }
  return { files: files.sorted(), problems: problems.sorted() };
}

const DOT = 0x2e;

/** A folder read as bytes: Node names the entries with Buffers (its typings know only string encodings). */
interface RawDir {
  readSync(): { name: Buffer } | null;
  closeSync(): void;
}

/** A folder opened for reading, or undefined (gone, unreadable: recorded; its own ancestor: silently). */
function openFolder(dir: string, listed: Map<string, string>, problems: Problems): RawDir | undefined {
  let st: Stats;
  try {
    st = fs.statSync(fsPath(dir));
  } catch (err) {
    problems.folder(dir, err);
    return undefined;
  }
  if (isOwnAncestor(listed, dir, `${st.dev}:${st.ino}`)) return undefined;
  try {
    return fs.opendirSync(fsPath(dir), { encoding: 'buffer' as BufferEncoding, bufferSize: 128 }) as unknown as RawDir;
  } catch (err) {
    problems.folder(dir, err);
    return undefined;
  }
}

/** What a listed entry is once symlinks are followed, and its size; an entry that cannot be examined is a problem and Other. */
function kindAt(file: string, problems: Problems): { what: Kind; size: number; linked: boolean } {
  let st: Stats;
  try {
    st = fs.lstatSync(fsPath(file));
  } catch (err) {
    problems.entry(file, err);
    return OTHER;
  }
  const linked = st.isSymbolicLink();
  if (linked) {
    try {
      st = fs.statSync(fsPath(file));
    } catch (err) {
      problems.entry(file, err, true);
      return OTHER;
    }
  }
  if (st.isFile()) return { what: Kind.File, size: st.size, linked };
  return st.isDirectory() ? (linked ? LINKED_FOLDER : FOLDER) : OTHER;
}

const OTHER = Object.freeze({ what: Kind.Other, size: 0, linked: false });
const FOLDER = Object.freeze({ what: Kind.Folder, size: 0, linked: false });
const LINKED_FOLDER = Object.freeze({ what: Kind.Folder, size: 0, linked: true });

/** Records `dir` as listed; true when one of its ancestors in this walk is the same folder (a cycle). */
function isOwnAncestor(listed: Map<string, string>, dir: string, id: string): boolean {
  for (let up = path.dirname(dir); listed.has(up); up = path.dirname(up)) {
    if (listed.get(up) === id) return true;
    if (up === path.dirname(up)) break;
  }
  listed.set(dir, id);
  return false;
}

/** A file's size; 0 for one that cannot be stat'ed (gone since the walk): reading it then says what happened. */
function sizeOf(file: string): number {
  try {
    return fs.statSync(fsPath(file), { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
