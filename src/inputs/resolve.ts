// argv strings -> Image values, in argument order. Files, quoted globs, directories, `-` for stdin.
// One resolution, two ways to meet a bad input: resolveInputs refuses the run for the first one (a
// single request sends nothing then), streamEach keeps it in its place (a per-image run records it).
import { InputError, UsageError } from '../errors.js';
import { forEachBounded } from '../concurrency.js';
import type { BadInput, Input } from './bad-input.js';
import { expandArgs, type Planned, type Skipped } from './expand.js';
import type { Image } from './image.js';
import { accepted, isGone, readFileOnce, readMemoryOnce, toImage } from './read.js';

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

const READ_PARALLEL = 4;

/** The images of `args`; the first bad input (in argument order) is thrown. */
export async function resolveInputs(args: readonly string[], opts: ResolveOptions): Promise<Image[]> {
  const all: Input[] = [];
  await resolve(args, opts, true, (x) => all.push(x));
  const bad = all.find((x): x is BadInput => 'error' in x);
  if (bad) throw bad.error;
  return all as Image[];
}

/**
 * Every input of `args`, each an Image or, when it cannot be taken, a BadInput, handed to `take` in
 * input order as soon as it and every one before it is read, and kept nowhere here: --each keeps
 * thousands of them compactly (each/image-list.ts). Resolves to the number handed over.
 */
export function streamEach(args: readonly string[], opts: ResolveOptions, take: (x: Input) => void): Promise<number> {
  return resolve(args, opts, false, take);
}

async function resolve(args: readonly string[], opts: ResolveOptions, firstBadEnds: boolean, give: (x: Input) => void): Promise<number> {
  const expanded = await expandArgs(args, opts.cwd);
  const { skipped } = expanded;
  const { planned } = expanded;
  const fromDirs = planned.fromDirs();
  let stdinUsed = false;
  const notImages: string[] = [];
  /** With firstBadEnds: the first bad input so far; later inputs are not read. */
  let firstBad = Infinity;
  const read = async (p: Planned, i: number): Promise<Input | undefined> => {
    if (p.kind === 'stdin') {
      if (stdinUsed) throw new UsageError('`-` (stdin) given more than once.', 'Stdin holds one image.');
      stdinUsed = true;
    }
    if (p.kind === 'url' && !opts.download) throw new UsageError(`${p.url}: URLs are not taken here.`);
    if (i > firstBad) return undefined;
    try {
      const got = await take(p, opts, skipped, notImages);
      if (got && 'error' in got && firstBadEnds) firstBad = Math.min(firstBad, i);
      return got;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      if (firstBadEnds) firstBad = Math.min(firstBad, i);
      return badInput(p, err);
    }
  };
  // READ_PARALLEL reads at a time; one that finishes before an earlier one waits (a few at most).
  const ready = new Map<number, Input | undefined>();
  let next = 0;
  let given = 0;
  await forEachBounded(planned.length, READ_PARALLEL, async (i) => {
    ready.set(i, await read(planned.get(i), i));
    for (; ready.has(next); next++) {
      const x = ready.get(next);
      ready.delete(next);
      if (x) {
        give(x);
        given += 1;
      }
    }
  });
  if (opts.warn) {
    // Sorted: entries skipped while reading join those of the walks in whatever order the reads ended.
    const sorted = skipped.map((s) => `${s.shownAs} (${s.why})`).sort();
    if (skipped.length > 0) opts.warn(`skipped ${count(skipped.length, 'entry', 'entries')} that cannot be read: ${list(sorted)}`);
    if (notImages.length > 0) opts.warn(`skipped ${count(notImages.length, 'file', 'files')} in directories that are not supported images: ${list(notImages)}`);
  }
  if (given === 0 && fromDirs) {
    throw new UsageError(`no supported image in ${args.join(' ')}.`, 'Point at PNG, JPEG, WebP, GIF, BMP or HEIC files.');
  }
  return given;
}

/** One planned input read and checked: its Image, its BadInput, or nothing (a listed file skipped). */
async function take(p: Planned, opts: ResolveOptions, skipped: Skipped[], notImages: string[]): Promise<Input | undefined> {
  if (p.kind === 'bad') return { path: p.shownAs, file: p.file, error: p.error };
  if (p.kind === 'stdin') {
    const data = await opts.readStdin();
    return toImage('-', { kind: 'memory', data }, readMemoryOnce(data), opts.convert);
  }
  if (p.kind === 'url') {
    const data = await (opts.download as (url: string) => Promise<Uint8Array>)(p.url);
    return toImage(p.url, { kind: 'memory', data }, readMemoryOnce(data), opts.convert);
  }
  let read: Awaited<ReturnType<typeof readFileOnce>>;
  try {
    read = await readFileOnce(p.file, p.shownAs, p.size, { deferHash: opts.deferHash === true });
  } catch (err) {
    // Listed a moment ago and gone now (a folder other processes write into): not an input any more.
    if (p.origin !== 'arg' && isGone(err)) return void skipped.push({ shownAs: p.shownAs, why: 'gone before it was read' });
    throw err;
  }
  if (p.origin === 'dir' && !accepted(read.sniff, opts.convert === true)) {
    if (!opts.expected?.(p.shownAs)) notImages.push(p.shownAs);
    return undefined;
  }
  return toImage(p.shownAs, { kind: 'file', file: p.file }, read, opts.convert);
}

function badInput(p: Planned, error: InputError): BadInput {
  if (p.kind === 'file' || p.kind === 'bad') return { path: p.shownAs, file: p.file, error };
  return { path: p.kind === 'url' ? p.url : '-', file: undefined, error };
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The first three, then how many more. */
function list(items: string[]): string {
  return items.slice(0, 3).join(', ') + (items.length > 3 ? `, … (${items.length - 3} more)` : '');
}
