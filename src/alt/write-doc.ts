// --write: a document replaced atomically (store/atomic.ts: a temporary beside it, then a rename),
// and only if it is still the file that was read. Its bytes are compared with those read right
// before the rename, inside the rename step itself, so an edit saved while the run worked (an
// editor, a `git pull`) is never overwritten: the document is left as it is and the run says so.
import { readFileSync, renameSync } from 'node:fs';
import { EXIT } from '../errors.js';
import type { LoadedDocument } from '../inputs/documents.js';
import { ImageFailure } from '../results/record.js';
import { writeFileAtomic } from '../store/atomic.js';
import { nodeStoreFs, type StoreFs } from '../store/store-fs.js';

/** The document changed on disk since it was read: not written (exit 75: run again). */
class ChangedOnDiskError extends ImageFailure {
  constructor(shownAs: string) {
    super(
      EXIT.temporary,
      'changed_on_disk',
      `${shownAs}: changed on disk since it was read; not written.`,
      'Run again: alt texts are only written into a document as it was read.',
    );
    this.name = 'ChangedOnDiskError';
  }
}

/** Writes `text` over the document if its bytes on disk are still the ones read; keeps its mode. */
export async function writeDocument(doc: LoadedDocument, text: string): Promise<void> {
  let changed = false;
  const guarded: StoreFs = {
    ...nodeStoreFs,
    rename: async (from, to) => {
      // `to` is the file itself (through a symbolic link, its target): compared, then renamed in the
      // same synchronous step, so nothing of this process runs between the two.
      if (!sameBytes(to, doc.bytes)) {
        changed = true;
        throw new Error('changed since it was read');
      }
      renameSync(from, to);
    },
  };
  try {
    await writeFileAtomic(doc.file, Buffer.from(text, 'utf8'), { fs: guarded });
  } catch (err) {
    // (the temporary is removed by writeFileAtomic whatever failed)
    if (changed) throw new ChangedOnDiskError(doc.shownAs);
    throw err;
  }
}

function sameBytes(file: string, bytes: Uint8Array): boolean {
  try {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(readFileSync(file));
  } catch {
    return false; // gone or unreadable: not the file that was read
  }
}
