// Reads a file through ONE reused buffer: no garbage per chunk, so memory stays flat however large
// the file. Each yielded view is valid only until the next iteration.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fsPromises } from '../lazy.js';
import { fsPath } from './file-name.js';

/**
 * Non-blocking, so a path that became a FIFO since it was listed cannot hang the run (opening a FIFO
 * for reading waits for a writer); then refused unless it is a regular file. No effect on regular files.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a path that is no longer a regular file fails with (inputs/read.ts readError words it). */
export const NOT_REGULAR = 'ENOTREG';

function notRegular(): NodeJS.ErrnoException {
  return Object.assign(new Error('not a regular file'), { code: NOT_REGULAR });
}

/** What the opened file's fstat said of it, for a reader that keeps when it was last changed. */
export type OnOpened = (st: { mtimeMs: number }) => void;

/** Yields views of `buffer` filled as full as the file allows (only the last may be shorter). */
export async function* fileChunks(file: string, buffer: Buffer, onOpened?: OnOpened): AsyncGenerator<Buffer> {
  const fh = await fsPromises().open(fsPath(file), OPEN_FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular();
    onOpened?.(st);
    for (;;) {
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await fh.read(buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) return;
      yield buffer.subarray(0, filled);
      if (filled < buffer.length) return;
    }
  } finally {
    await fh.close();
  }
}

/** The same, synchronously: for files known to be small (see readFileOnce). */
export function* fileChunksSync(file: string, buffer: Buffer, onOpened?: OnOpened): Generator<Buffer> {
  const fd = openSync(fsPath(file), OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular();
    onOpened?.(st);
    for (;;) {
      let filled = 0;
      while (filled < buffer.length) {
        const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) return;
      yield buffer.subarray(0, filled);
      if (filled < buffer.length) return;
    }
  } finally {
    closeSync(fd);
  }
}
