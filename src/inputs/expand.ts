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
import { listFiles, loadGlob, type WalkProblem } from './walk.js';

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
  planned: Planned[];
  skipped: Skipped[];
}

/** Expands globs and directories, in argument order; drops duplicate paths (first one wins). */
export async function expandArgs(args: readonly string[], cwd: string): Promise<Expanded> {
  const planned: Planned[] = [];
  const skipped: Skipped[] = [];
  const seen = new Map<string, number>();
  // Duplicates are the same file, however reached (a glob and a directory, a symlink loop): the first
  // keeps its place, under the shortest of its names.
  const add = (file: string, shownAs: string, origin: Origin, size: number) => {
    const abs = path.resolve(cwd, file);
    let real = abs;
    try {
      // Synchronous: microseconds, where a thread-pool round trip is more. As bytes, so two names that
      // differ only in bytes that are not UTF-8 stay two files.
      real = decodeName(realpathSync.native(fsPath(abs), 'buffer'));
    } catch {}
    const at = seen.get(real);
    if (at === undefined) {
      const tooLarge = sizeError(shownAs, size);
      seen.set(real, planned.push(tooLarge ? { kind: 'bad', shownAs, file: abs, error: tooLarge } : { kind: 'file', file: flat(abs), shownAs: flat(shownAs), origin, size }) - 1);
      return;
    }
    const kept = planned[at] as Extract<Planned, { kind: 'file' | 'bad' }>;
    if (kept.kind === 'file' && shownAs.length < kept.shownAs.length) planned[at] = { ...kept, file: abs, shownAs };
  };
  /** The files a walk or glob listed, and a reason for each entry it could not take. */
  const take = async (pattern: string, root: string, shown: (rel: string) => string, origin: Origin) => {
    const { files, problems } = await listFiles(pattern, root);
    const itself = problems.find((p) => p.folder && p.file === root);
    const unread = problems.filter((p) => p !== itself).map((p) => ({ shownAs: shown(path.relative(root, p.file)) + (p.folder ? '/' : ''), why: problemWhy(p) }));
    skipped.push(...unread);
    for (const f of files) add(path.join(root, f.path), shown(f.path), origin, f.size);
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
        const { itself } = await take('**/*', abs, (rel) => showName(path.join(arg, rel)), 'dir');
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
function sizeError(shownAs: string, bytes: number): InputError | undefined {
  if (base64Length(bytes) <= MAX_BODY_BYTES) return undefined;
  return new InputError(
    `${shownAs}: ${(bytes / 1048576).toFixed(1)} MB is too large; encoded it would be over the API's 100 MB request limit.`,
    'Shrink or re-encode it (e.g. to JPEG) first.',
  );
}
