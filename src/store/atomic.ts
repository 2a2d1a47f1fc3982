// Every file the tool writes is written atomically: readers see the old file or the whole new one,
// never a part, whatever fails (a full disk, a refused rename, a signal). The steps:
// 1. the folders, created as private as the file (0600 -> 0700, 0644 -> 0755);
// 2. a temporary in the SAME folder (a rename across file systems is a copy), named from a short
//    prefix of the file's name so that it fits NAME_MAX (255 bytes) whatever the name: a 250-byte
//    image name still gets its sidecar `name.png.txt`; created with O_EXCL and the file's mode;
// 3. the data, then (durable) fsync of the file, so a crash cannot leave a renamed empty file;
// 4. rename over the file, then (durable) fsync of the folder, so the rename itself survives a crash.
// On any failure the temporary is removed, and a failure of the disk is a StoreError (exit 74) with
// the path and the errno code. A temporary in flight is registered in pending.ts, so an interrupted
// run removes it on its way out.
import path from 'node:path';
import { onAbruptExit } from './pending.js';
import { nodeStoreFs, type StoreFs } from './store-fs.js';
import { storeError } from './store-error.js';

export interface AtomicOptions {
  /** Permission bits of the file; default: those of the file it replaces, else 0644 less the umask. */
  mode?: number;
  /** fsync the file and its folder: for state (sessions, config, blobs, manifests), not for a cache. */
  durable?: boolean;
  /** The file-system calls (tests inject failures). */
  fs?: StoreFs;
}

/** Bytes of the file's name kept in the temporary's name: `.<prefix>.<12 hex>.tmp` is at most 58 bytes. */
const PREFIX_BYTES = 40;
/** Small chunks are gathered up to this size before a write (one system call each, not one per chunk). */
const GATHER_BYTES = 64 * 1024;

/** `opts` may still be a bare mode (the older signature, `writeFileAtomic(file, data, 0o600)`). */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicOptions | number = {}): Promise<void> {
  await writeStreamAtomic(file, [data], typeof opts === 'number' ? { mode: opts } : opts);
}

/** Writes the chunks as they come (a batch JSONL file, a blob) and returns the bytes written. An
 *  error of the chunks themselves is passed on unchanged, after the temporary is removed. */
export async function writeStreamAtomic(file: string, chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: AtomicOptions = {}): Promise<number> {
  const fs = opts.fs ?? nodeStoreFs;
  const disk = <T>(step: Promise<T>): Promise<T> => step.catch((err: unknown) => Promise.reject(storeError(err, file)));
  // Through a symbolic link (a config file kept in a dotfiles repository): the link stays, its target is replaced.
  const target = await disk(fs.realTarget(file));
  const dir = path.dirname(target);
  const kept = opts.mode === undefined ? await fs.modeOf(target) : undefined;
  const mode = opts.mode ?? kept ?? 0o644;
  await disk(fs.mkdir(dir, folderMode(mode)));

  const { fd, tmp, forget } = createTemp(fs, file, dir, path.basename(target), mode);
  let open = true;
  try {
    // exactly the old bits, which the umask would narrow
    if (kept !== undefined) await disk(Promise.resolve().then(() => fs.chmod(fd, kept)));
    const bytes = await writeChunks(chunks, (b) => disk(fs.write(fd, b)));
    if (opts.durable) await disk(fs.fsync(fd));
    open = false;
    await disk(fs.close(fd));
    await disk(fs.rename(tmp, target));
    forget();
    if (opts.durable) await syncFolder(fs, dir, file);
    return bytes;
  } catch (err) {
    if (open) ignore(() => fs.closeSync(fd));
    ignore(() => fs.unlinkSync(tmp));
    forget();
    throw err;
  }
}

/** The temporary, created and registered for removal in one synchronous step (no signal between). */
function createTemp(fs: StoreFs, file: string, dir: string, name: string, mode: number) {
  for (let attempt = 0; ; attempt++) {
    const tmp = path.join(dir, tempName(name));
    try {
      const fd = fs.createExclusive(tmp, mode);
      const forget = onAbruptExit(() => fs.unlinkSync(tmp));
      return { fd, tmp, forget };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) continue;
      throw storeError(err, file);
    }
  }
}

/** `.<at most 40 bytes of the name, whole characters>.<12 random hex digits>.tmp` */
export function tempName(name: string): string {
  let prefix = '';
  let bytes = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > PREFIX_BYTES) break;
    prefix += ch;
    bytes += n;
  }
  const hex = () =>
    Math.floor(Math.random() * 0x1000000)
      .toString(16)
      .padStart(6, '0');
  return `.${prefix}.${hex()}${hex()}.tmp`;
}

/** A folder as private as the files in it: search (x) wherever read (r) is allowed. */
export function folderMode(fileMode: number): number {
  return (fileMode & 0o777) | ((fileMode & 0o444) >> 2);
}

async function writeChunks(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, write: (b: Uint8Array) => Promise<void>): Promise<number> {
  let gathered: Uint8Array[] = [];
  let size = 0;
  let total = 0;
  const flush = async () => {
    if (size === 0) return;
    const block = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, size);
    gathered = [];
    size = 0;
    await write(block);
  };
  for await (const chunk of chunks) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    gathered.push(b);
    size += b.length;
    if (size >= GATHER_BYTES) await flush();
  }
  await flush();
  return total;
}

/** fsync of the folder after the rename. Some file systems cannot sync a folder (EINVAL): the file is
 *  in place all the same, so only a real disk error is reported. */
async function syncFolder(fs: StoreFs, dir: string, file: string): Promise<void> {
  try {
    await fs.fsyncDir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EIO' || code === 'ENOSPC' || code === 'EDQUOT') throw storeError(err, file);
  }
}

function ignore(f: () => void): void {
  try {
    f();
  } catch {
    // already closed or gone
  }
}
