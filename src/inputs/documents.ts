// argv -> the documents `kimi-vision alt` reads: Markdown (.md .markdown), MDX (.mdx) and HTML
// (.html .htm), given as files, quoted globs or directories (recursive). What a walk or a glob finds
// skips node_modules, .git and whatever git ignores (git itself is asked, once per run); a file
// named outright is taken as it is. Sorted by path, each file once however it was reached.
import { spawn } from 'node:child_process';
import { realpathSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';

export type DocKind = 'markdown' | 'mdx' | 'html';

/** The document kind of a file name by its extension (any case), or undefined for anything else. */
export function docKindOf(fileName: string): DocKind | undefined {
  const ext = /\.([^./\\]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'mdx') return 'mdx';
  if (ext === 'html' || ext === 'htm') return 'html';
  return undefined;
}

export interface DocumentFile {
  /** Absolute path. */
  file: string;
  /** Relative to the current folder, with `/` between folders: for messages and diff headers. */
  shownAs: string;
  kind: DocKind;
}

export interface ResolvedDocuments {
  documents: DocumentFile[];
  /** For stderr: globs that matched no document, git that could not be asked. */
  notes: string[];
}

export interface DocumentOptions {
  /** The git executable (tests point it elsewhere); default `git` on PATH. */
  git?: string;
}

const PATTERN = '**/*.{md,markdown,mdx,html,htm}';
const SKIPPED = ['**/node_modules/**', '**/.git/**'];

type Candidate = { file: string; walked: boolean };

export async function resolveDocuments(args: readonly string[], cwd: string, o: DocumentOptions = {}): Promise<ResolvedDocuments> {
  const notes: string[] = [];
  const found: Candidate[] = [];
  for (const arg of args) {
    if (arg === '') throw new UsageError('an empty string was given as a document.', 'Pass a file, a quoted glob or a directory.');
    const abs = path.resolve(cwd, arg);
    const info = statOrError(abs);
    if (!(info instanceof Error)) {
      if (info.isDirectory()) {
        for (const f of await glob(PATTERN, abs)) found.push({ file: path.join(abs, f), walked: true });
      } else if (!info.isFile()) {
        throw new InputError(`${arg}: not a regular file.`, 'Point at a Markdown, MDX or HTML file.');
      } else if (!docKindOf(arg)) {
        throw new InputError(`${arg}: not a Markdown, MDX or HTML document.`, 'Documents end in .md, .markdown, .mdx, .html or .htm.');
      } else found.push({ file: abs, walked: false });
      continue;
    }
    if ((await loadGlob()).isDynamicPattern(arg)) {
      const matches = (await glob(arg, cwd)).filter((m) => docKindOf(m));
      if (matches.length === 0) notes.push(`no document matches ${arg}`);
      for (const m of matches) found.push({ file: path.resolve(cwd, m), walked: true });
      continue;
    }
    const code = info.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`${arg}: no such file or directory.`, 'Check the path; quote globs so the tool expands them.');
    throw new InputError(`${arg}: cannot be read (${code ?? info.message}).`);
  }

  const real = found.map((c) => realPath(c.file));
  const walked = [...new Set(found.flatMap((c, i) => (c.walked ? [real[i] as string] : [])))];
  const ignored = await gitIgnored(walked, cwd, o.git ?? 'git', notes);
  const byReal = new Map<string, DocumentFile>();
  found.forEach((c, i) => {
    const r = real[i] as string;
    if (c.walked && ignored.has(r)) return;
    const doc: DocumentFile = { file: c.file, shownAs: shown(cwd, c.file), kind: docKindOf(c.file) as DocKind };
    const kept = byReal.get(r);
    if (!kept || doc.shownAs.length < kept.shownAs.length) byReal.set(r, doc); // the shortest name wins
  });
  const documents = [...byReal.values()].sort((a, b) => (a.shownAs < b.shownAs ? -1 : a.shownAs > b.shownAs ? 1 : 0));
  return { documents, notes };
}

function shown(cwd: string, file: string): string {
  return path.relative(cwd, file).split(path.sep).join('/');
}

function statOrError(file: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(file);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

function realPath(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return file;
  }
}

/** fast-glob, loaded only when a glob or a directory needs it. */
const loadGlob = async () => (await import('fast-glob')).default;

async function glob(pattern: string, cwd: string): Promise<string[]> {
  const fg = await loadGlob();
  return fg(pattern, { cwd, onlyFiles: true, dot: false, unique: true, suppressErrors: true, caseSensitiveMatch: false, ignore: SKIPPED });
}

/**
 * The files (real paths) that git ignores, asking `git check-ignore` once for all of them. Outside
 * a work tree nothing is ignored; when git is missing or fails, a note says so and nothing is.
 */
async function gitIgnored(files: readonly string[], cwd: string, git: string, notes: string[]): Promise<Set<string>> {
  const ignored = new Set<string>();
  if (files.length === 0) return ignored;
  const top = await run(git, ['rev-parse', '--show-toplevel'], cwd);
  if (top.missing) {
    notes.push('git is not installed: git-ignored files are not skipped');
    return ignored;
  }
  if (top.code !== 0) {
    if (!/not a git repository/i.test(top.stderr)) notes.push(`git: ${firstLine(top.stderr)}; git-ignored files are not skipped`);
    return ignored;
  }
  const root = realPath(top.stdout.trim());
  const inside = files.filter((f) => !path.relative(root, f).startsWith('..') && !path.isAbsolute(path.relative(root, f)));
  if (inside.length === 0) return ignored;
  const rel = inside.map((f) => path.relative(root, f));
  const res = await run(git, ['check-ignore', '--stdin', '-z'], root, `${rel.join('\0')}\0`);
  if (res.code !== 0 && res.code !== 1) {
    notes.push(`git check-ignore: ${firstLine(res.stderr)}; git-ignored files are not skipped`);
    return ignored;
  }
  for (const r of res.stdout.split('\0')) if (r) ignored.add(path.join(root, r));
  return ignored;
}

function firstLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')[0]
      ?.replace(/^fatal: /, '') || 'failed'
  );
}

function run(cmd: string, args: string[], cwd: string, input?: string): Promise<{ code: number; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: -1, stdout: '', stderr: e.message, missing: e.code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), missing: false }));
    child.stdin.on('error', () => {}); // git may exit before reading it all
    child.stdin.end(input ?? '');
  });
}

/** Documents larger than this are refused: a docs page is kilobytes, this is a mistake or a dump. */
const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export interface LoadedDocument extends DocumentFile {
  /** The bytes as read: --write compares them with the file before replacing it. */
  bytes: Uint8Array;
  /** The text, a BOM kept as U+FEFF, so that Buffer.from(text) gives back the same bytes. */
  text: string;
}

export async function readDocument(doc: DocumentFile, maxBytes = MAX_DOCUMENT_BYTES): Promise<LoadedDocument> {
  let bytes: Buffer;
  try {
    const handle = await open(doc.file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) {
        const mb = (n: number) => (n / 1048576).toFixed(1);
        throw new InputError(`${doc.shownAs}: ${mb(size)} MB is over the ${mb(maxBytes)} MB limit for a document.`, 'Split it, or leave it out of the inputs.');
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${doc.shownAs}: cannot be read (${code === 'ENOENT' ? 'it is gone' : (code ?? (err as Error).message)}).`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError(`${doc.shownAs}: not UTF-8 text.`, 'Convert it to UTF-8 first (e.g. iconv -f latin1 -t utf-8).');
  }
  return { ...doc, bytes, text };
}
