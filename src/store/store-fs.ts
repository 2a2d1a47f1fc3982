// The file-system calls the store makes, as one small seam: the real ones below, and in tests a wrapper
// that fails a chosen call (ENOSPC on the third write, a rename refused) the way a full or broken disk
// would, which a test cannot otherwise get on demand.
import fs from 'node:fs';

export interface StoreFs {
  /** The file a path names, through symbolic links; the path itself when nothing is there yet. */
  realTarget(file: string): Promise<string>;
  /** The permission bits of an existing file, undefined when there is none. */
  modeOf(file: string): Promise<number | undefined>;
  mkdir(dir: string, mode: number): Promise<void>;
  /** Creates a new file, failing with EEXIST when the name is taken. Synchronous on purpose: the file
   *  exists exactly when the caller registers it for removal (see atomic.ts). */
  createExclusive(file: string, mode: number): number;
  /** Sets the permission bits exactly (the umask does not apply). */
  chmod(fd: number, mode: number): void;
  /** Writes all of `data` (repeating short writes). */
  write(fd: number, data: Uint8Array): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Flushes a folder's entries (a rename in it) to the disk. */
  fsyncDir(dir: string): Promise<void>;
  closeSync(fd: number): void;
  unlinkSync(file: string): void;
}

const done =
  (resolve: () => void, reject: (e: Error) => void) =>
  (err: Error | null): void =>
    err ? reject(err) : resolve();

export const nodeStoreFs: StoreFs = {
  realTarget: (file) =>
    new Promise((resolve, reject) =>
      fs.realpath(file, (err, real) => {
        if (!err) resolve(real);
        else if (err.code === 'ENOENT') resolve(file);
        else reject(err);
      }),
    ),
  modeOf: (file) => new Promise((resolve) => fs.stat(file, (err, st) => resolve(err || !st.isFile() ? undefined : st.mode & 0o7777))),
  mkdir: (dir, mode) => new Promise((resolve, reject) => fs.mkdir(dir, { recursive: true, mode }, (err) => (err ? reject(err) : resolve()))),
  createExclusive: (file, mode) => fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode),
  chmod: (fd, mode) => fs.fchmodSync(fd, mode),
  write: async (fd, data) => {
    for (let off = 0; off < data.length; ) {
      off += await new Promise<number>((resolve, reject) => fs.write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
    }
  },
  fsync: (fd) => new Promise((resolve, reject) => fs.fsync(fd, done(resolve, reject))),
  close: (fd) => new Promise((resolve, reject) => fs.close(fd, done(resolve, reject))),
  rename: (from, to) => new Promise((resolve, reject) => fs.rename(from, to, done(resolve, reject))),
  fsyncDir: (dir) =>
    new Promise((resolve, reject) =>
      fs.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, (err, fd) => {
        if (err) return reject(err);
        fs.fsync(fd, (syncErr) => fs.close(fd, () => (syncErr ? reject(syncErr) : resolve())));
      }),
    ),
  closeSync: (fd) => fs.closeSync(fd),
  unlinkSync: (file) => fs.unlinkSync(file),
};
