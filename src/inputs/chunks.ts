// Reads a file through ONE reused buffer: no garbage per chunk, so memory stays flat however large
// the file. Each yielded view is valid only until the next iteration.
import { closeSync, openSync, readSync } from 'node:fs';
import { fsPromises } from '../lazy.js';

/** Yields views of `buffer` filled as full as the file allows (only the last may be shorter). */
export async function* fileChunks(file: string, buffer: Buffer): AsyncGenerator<Buffer> {
  const fh = await fsPromises().open(file, 'r');
  try {
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
export function* fileChunksSync(file: string, buffer: Buffer): Generator<Buffer> {
  const fd = openSync(file, 'r');
  try {
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
