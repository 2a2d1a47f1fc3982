// The flags of `kimi-vision alt`, checked together before any document is read or anything sent.
// Pure, but for the one look at --root (it must be a folder).
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { RequestOptions } from '../request/options.js';
import { cacheWanted } from '../store/answer-cache.js';
import { DEFAULT_MAX_CHARS } from './prompt.js';

export interface AltFlags {
  check?: boolean;
  write?: boolean;
  all?: boolean;
  root?: string;
  /** commander's --no-remote: false when given. */
  remote?: boolean;
  maxChars?: number;
  lang?: string;
  concurrency?: number;
  rpm?: number;
  cache?: boolean;
  format?: string;
}

export interface AltOptions extends RequestOptions, AltFlags {}

/** What a run does: print a patch (the default), list findings, fix the files, or estimate. */
type AltMode = 'diff' | 'check' | 'write' | 'dry-run';

/** What stdout carries: the mode's own output (the patch, the --check lines, …), records, or the report. */
type AltFormat = 'default' | 'jsonl' | 'markdown';

export interface AltSettings {
  mode: AltMode;
  format: AltFormat;
  all: boolean;
  /** Absolute: the folder a root-relative `/img/x.png` is under. */
  root: string;
  remote: boolean;
  maxChars: number;
  /** --lang, canonical (`pt-BR`); undefined: the language of the text around each image. */
  lang: string | undefined;
  concurrency: number;
  rpm: number | undefined;
  cache: boolean;
}

/** As --each and diff: requests in flight at most, unless -j says otherwise. */
const DEFAULT_CONCURRENCY = 4;

export function altSettings(o: AltFlags & { dryRun?: boolean | undefined }, env: Record<string, string | undefined>, cwd: string): AltSettings {
  const modes = [o.check && '--check', o.write && '--write', o.dryRun && '--dry-run'].filter((x): x is string => typeof x === 'string');
  if (modes.length > 1) {
    throw new UsageError(
      `${modes.join(' and ')} cannot be combined.`,
      'Without them alt prints a patch; --check lists what is missing, --write fixes the files, --dry-run estimates.',
    );
  }
  const mode: AltMode = o.check ? 'check' : o.write ? 'write' : o.dryRun ? 'dry-run' : 'diff';
  const format = o.format ?? 'default';
  if (format !== 'default' && format !== 'jsonl' && format !== 'markdown') {
    throw new UsageError(`--format ${format}: alt prints jsonl or markdown (without --format: the patch, or the --check lines).`);
  }
  if (mode === 'dry-run' && format === 'markdown') {
    throw new UsageError('--dry-run prints a list or, with --format jsonl, one line per image; the Markdown report needs the alt texts.', 'Drop --dry-run to caption the images.');
  }
  return {
    mode,
    format,
    all: o.all === true,
    root: rootFolder(o.root, cwd),
    remote: o.remote !== false,
    maxChars: o.maxChars ?? DEFAULT_MAX_CHARS,
    lang: o.lang === undefined ? undefined : languageTag(o.lang),
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    rpm: o.rpm,
    cache: cacheWanted(o.cache, env),
  };
}

function rootFolder(root: string | undefined, cwd: string): string {
  const abs = path.resolve(cwd, root ?? '.');
  if (root === undefined) return abs;
  let folder = false;
  try {
    folder = statSync(abs).isDirectory();
  } catch {}
  if (!folder) throw new UsageError(`--root ${root}: not a folder.`, 'Give the folder a site serves from: /img/x.png is read as <root>/img/x.png.');
  return abs;
}

/** A BCP 47 language tag in its canonical form (`PT-br` -> `pt-BR`), or a usage error. */
export function languageTag(code: string): string {
  try {
    const [tag] = Intl.getCanonicalLocales(code.trim());
    if (tag) return tag;
  } catch {}
  throw new UsageError(`--lang ${code}: not a language code.`, 'Give a BCP 47 code such as en, de, fr, zh or pt-BR.');
}
