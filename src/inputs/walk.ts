// Globs and directory walks (fast-glob), tolerant of a world that changes under them.
//
// What fast-glob 3 does on its own, with `stats: true` (read from its source and @nodelib/fs.*):
// each folder is listed with readdir, then every name is lstat'ed (and stat'ed when a symlink) in
// parallel, and ONE failed stat fails the whole folder's listing; with `suppressErrors` that folder
// is then dropped without a word (without it, the whole glob rejects). So a file deleted between
// readdir and lstat (a folder other processes write into), an entry in a folder that can be listed
// but not searched, or a name that is not UTF-8 (Node decodes it to U+FFFD, which names no file)
// lost every image of its folder, and a subfolder that cannot be opened vanished silently.
//
// Here fast-glob gets a file-system adapter that never fails a listing: names are read as bytes and
// kept exactly (file-name.ts); an entry whose stat fails becomes an entry that is neither file nor
// folder (so it is neither taken nor descended into) and is recorded as a problem; a folder that
// cannot be read is an empty folder and a problem. Symlink cycles (a folder that is its own
// ancestor) are not descended into, as `find -L` does, instead of looping until ELOOP.
import fs, { type Stats } from 'node:fs';
import path from 'node:path';
import { decodeName, fsPath } from './file-name.js';

export interface Listed {
  /** Relative to the walk's cwd, `/`-separated; raw bytes kept (see file-name.ts). */
  path: string;
  size: number;
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
export async function listFiles(pattern: string, cwd: string): Promise<{ files: Listed[]; problems: WalkProblem[] }> {
  const fg = await loadGlob();
  const problems: WalkProblem[] = [];
  /** Folders listed so far, by path: their identity, to see a folder that is its own ancestor. */
  const listedDirs = new Map<string, string>();
  const problem = (file: string, err: NodeJS.ErrnoException, link = false, folder = false) => {
    problems.push({ file, code: err.code ?? 'EIO', link, folder });
  };
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
        problem(file, err as NodeJS.ErrnoException);
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
          if (!GONE.has(statErr.code ?? '')) problem(dir, statErr, false, true);
          return done(null, []);
        }
        if (isOwnAncestor(listedDirs, dir, `${st.dev}:${st.ino}`)) return done(null, []);
        fs.readdir(fsPath(dir), { encoding: 'buffer' }, (err, names) => {
          if (err) {
            if (!GONE.has(err.code ?? '')) problem(dir, err, false, true);
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
        if (inListing(file) || !GONE.has(err.code ?? '')) problem(file, err);
        done(null, UNSTATABLE);
      });
    },
    stat(file: string, done: Callback<Stats>): void {
      fs.stat(fsPath(file), (err, st) => {
        if (!err) return done(null, st);
        problem(file, err, true);
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
  const files = entries.map((e) => ({ path: e.path, size: e.dirent instanceof Entry ? e.dirent.size : sizeOf(path.join(cwd, e.path)) })).sort((x, y) => byText(x.path, y.path));
  entries.length = 0;
  // Back to the event loop before going on: this runs in the callback of the walk's last directory
  // read, whose handle scope holds that read's entries (20,000 entries for one folder) until the
  // microtasks that follow are all done, and reading small files never yields.
  await new Promise<void>((resolve) => setImmediate(resolve));
  // (in the order the file system answered: sorted, so the same tree always reads the same)
  return { files, problems: problems.sort((x, y) => byText(x.file, y.file)) };
}

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
