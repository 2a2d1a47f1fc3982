// The images of a conversation that have no file of their own (stdin, downloads), kept as blobs
// named by their sha256 in the state folder. Written atomically and durably, so a blob is whole or
// absent; and checked (size, then sha256) before a continued conversation resends one, so a blob
// damaged later (a disk error, a hand edit, one written in place by an older version) is never sent
// as the image, and is replaced by the next save of those bytes.
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import { DamagedStateError, InputError } from '../errors.js';
import { readFileOnce } from '../inputs/read.js';
import { writeFileAtomic } from '../store/atomic.js';

export function blobFile(dir: string, sha256: string): string {
  return path.join(dir, sha256);
}

/** Stores `data` as the blob of `sha256`, unless a whole one is there already. */
export async function storeBlob(dir: string, sha256: string, data: Uint8Array): Promise<void> {
  const file = blobFile(dir, sha256);
  if ((await blobState(file, data.length, sha256)) === 'whole') return;
  await writeFileAtomic(file, data, { mode: 0o600, durable: true });
}

/** Before a blob is resent: a blob that is gone is an input error (exit 3), one that does not hash
 *  to its name is damaged state (exit 2). */
export async function checkBlob(file: string, image: { path: string; bytes: number; sha256: string }): Promise<void> {
  const state = await blobState(file, image.bytes, image.sha256);
  const shown = image.path === '-' ? 'the image from stdin' : image.path;
  if (state === 'gone') {
    throw new InputError(
      `${shown}: its stored copy is gone since it was added to this conversation (${file}).`,
      'Start a new conversation (without --continue) with the image again.',
    );
  }
  if (state === 'damaged') {
    throw new DamagedStateError(
      file,
      `the stored copy of ${shown} is not the ${image.bytes} bytes whose sha256 names it`,
      `Start a new conversation with the image again, and remove the damaged copy: rm ${file}`,
    );
  }
}

async function blobState(file: string, bytes: number, sha256: string): Promise<'whole' | 'gone' | 'damaged'> {
  const st = await fsPromises()
    .stat(file)
    .catch(() => undefined);
  if (!st) return 'gone';
  if (!st.isFile() || st.size !== bytes) return 'damaged';
  const read = await readFileOnce(file, file, st.size).catch(() => undefined);
  return read?.sha256 === sha256 ? 'whole' : 'damaged';
}
