// The two ways a kept file is changed without losing another run's update:
// - updateFile: read-modify-write under the file's lock. The change is made to what is there at that
//   moment, so two runs both land (`config set model` and `config set format` at once).
// - replaceIfUnchanged: compare-and-swap, for a change computed from an earlier read (a session
//   continued: read, then minutes of request, then save). Under the lock, the file's identity (device,
//   inode, size, mtime) is compared with the one read; if another run saved it meanwhile, nothing is
//   overwritten and the caller hears so (a LockedError) instead of silently dropping that run's turn.
import { LockedError } from '../errors.js';
import { writeFileAtomic, type AtomicOptions } from './atomic.js';
import { withLock, type LockOptions } from './lock.js';
import { currentIdentity, readStateFile, sameIdentity, type FileIdentity, type ReadOptions } from './state-file.js';

export type UpdateOptions = AtomicOptions & LockOptions & ReadOptions;

/** The file was saved by another run since it was read (replaceIfUnchanged): nothing was overwritten. */
export class ChangedMeanwhileError extends LockedError {
  constructor(path: string, message: string, hint?: string) {
    super(path, message, hint);
    this.name = 'ChangedMeanwhileError';
  }
}

/** `update` gets the file's text now (undefined when there is none) and returns the new text, or
 *  undefined to leave the file as it is. Returns what the file holds afterwards. */
export async function updateFile(
  file: string,
  update: (current: string | undefined) => string | undefined | Promise<string | undefined>,
  o: UpdateOptions = {},
): Promise<string | undefined> {
  return withLock(
    file,
    async () => {
      const current = readStateFile(file, o)?.text;
      const next = await update(current);
      if (next === undefined || next === current) return current;
      await writeFileAtomic(file, next, o);
      return next;
    },
    o,
  );
}

/** Writes `data` over `file` if it is still the file read (`seen`, undefined when there was none then). */
export async function replaceIfUnchanged(file: string, seen: FileIdentity | undefined, data: string | Uint8Array, o: UpdateOptions = {}): Promise<void> {
  await withLock(
    file,
    async () => {
      if (!sameIdentity(currentIdentity(file), seen)) {
        throw new ChangedMeanwhileError(
          file,
          `${o.what ?? file} was changed by another run while this one worked; it was not overwritten.`,
          'Run the command again: it will start from what is there now.',
        );
      }
      await writeFileAtomic(file, data, o);
    },
    o,
  );
}
