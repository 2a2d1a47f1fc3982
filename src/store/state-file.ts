// Reading back a state file (session, config, manifest, uploads index) safely:
// - a path that is a FIFO, a socket, a device or a folder is refused at once, without blocking (opened
//   with O_NONBLOCK, checked with fstat before any read): `config.json` made a FIFO must not hang a run;
// - a size limit, checked on fstat and again while reading (a file that grows, /proc-like files);
// - text that is not UTF-8, JSON that does not parse, or JSON of the wrong shape is "damaged: <path>",
//   exit 2, with a hint; never a TypeError later;
// - with the content, the identity of the file read (device, inode, size, mtime), from the same open
//   file, for compare-and-swap (update.ts).
import fs from 'node:fs';
import { DamagedStateError } from '../errors.js';
import { expectShape, type Shape } from './shape.js';
import { storeError } from './store-error.js';

export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface StateText {
  text: string;
  identity: FileIdentity;
  /** The permission bits (a config file holding a key must be 0600). */
  mode: number;
}

export interface ReadOptions {
  /** Largest file accepted (default 64 MiB: a long conversation, never an image: those are blobs). */
  maxBytes?: number;
  /** The hint of a damaged file (default: fix or remove it). */
  hint?: string;
}

const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** The file's text and identity; undefined when there is no such file. */
export function readStateFile(file: string, o: ReadOptions = {}): StateText | undefined {
  const max = o.maxBytes ?? MAX_STATE_BYTES;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ENXIO') throw new DamagedStateError(file, 'a socket, not a file', o.hint); // a socket cannot be opened
    throw storeError(err, file, 'read');
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new DamagedStateError(file, `${kindOfFile(st)}, not a file`, o.hint);
    if (st.size > max) throw new DamagedStateError(file, `${st.size} bytes, more than the ${max} a state file may have`, o.hint);
    const bytes = readUpTo(fd, max + 1);
    if (bytes.length > max) throw new DamagedStateError(file, `more than the ${max} bytes a state file may have`, o.hint);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new DamagedStateError(file, 'not UTF-8 text', o.hint);
    }
    return { text, identity: identityOf(st), mode: st.mode & 0o7777 };
  } catch (err) {
    if (err instanceof DamagedStateError) throw err;
    throw storeError(err, file, 'read');
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's JSON, checked against `shape`; undefined when there is no such file. */
export function readStateJson<T>(file: string, shape: Shape<T>, o: ReadOptions = {}): { value: T; identity: FileIdentity; mode: number } | undefined {
  const read = readStateFile(file, o);
  if (!read) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch (err) {
    throw new DamagedStateError(file, `not valid JSON: ${(err as Error).message}`, o.hint);
  }
  return { value: expectShape(parsed, shape, file, o.hint), identity: read.identity, mode: read.mode };
}

/** The identity of what is at `file` now; undefined when nothing is. */
export function currentIdentity(file: string): FileIdentity | undefined {
  try {
    return identityOf(fs.statSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw storeError(err, file, 'read');
  }
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function identityOf(st: fs.Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

function readUpTo(fd: number, limit: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit - total));
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    parts.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(parts, total);
}

function kindOfFile(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}
