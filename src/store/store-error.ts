// A failed file-system call of the store as the user should read it: which file, what the system
// said (in words and as its errno code), and what to do. Pure.
import path from 'node:path';
import { StoreError } from '../errors.js';

type Verb = 'write' | 'read' | 'lock';

/** What an errno code means, in words (for a kept file and for stdout or stderr alike). */
export function errnoWords(code: string): string {
  return explain(code, '.')[0];
}

/** Words and a hint for each errno code a write or read of a kept file meets. */
function explain(code: string, file: string): [string, string] {
  const dir = path.dirname(file);
  switch (code) {
    case 'ENOSPC':
      return ['no space left on the device', `Free some space on the disk that holds ${dir}, then try again.`];
    case 'EDQUOT':
      return ['over the disk quota', `Free some space on the disk that holds ${dir}, then try again.`];
    case 'EFBIG':
      return ['the file is larger than this file system or the file size limit (ulimit -f) allows', 'Raise the limit, or keep the files on another disk.'];
    case 'EIO':
      return ['the disk reported an I/O error', 'Check the disk (dmesg), or keep the files on another disk.'];
    case 'EACCES':
    case 'EPERM':
      return ['permission denied', `Check that you may write to ${dir} (ls -ld ${dir}).`];
    case 'EROFS':
      return ['the file system is read-only', 'Keep the files on a writable disk (KIMI_VISION_HOME, KIMI_VISION_CACHE_DIR).'];
    case 'ENOTDIR':
    case 'EEXIST':
      return ['a file is where a folder should be', `Move away the file that is in the way on the path to ${dir}.`];
    case 'EISDIR':
      return ['it is a folder', 'Give the name of a file, not of a folder.'];
    case 'ENAMETOOLONG':
      return ['the name is too long for this file system', 'Use a shorter name or path.'];
    case 'ELOOP':
      return ['too many levels of symbolic links', `Check the symbolic links on the path to ${file}.`];
    case 'EMFILE':
    case 'ENFILE':
      return ['too many open files', 'Lower the concurrency (-j), or raise the limit (ulimit -n).'];
    case 'ENOENT':
      return ['a folder on its path vanished', 'Try again.'];
    default:
      return ['the system refused', 'Try again; if it keeps failing, check the disk.'];
  }
}

/** `err` (from a file-system call on `file`) as a StoreError: exit 74, the path and the errno code. */
export function storeError(err: unknown, file: string, verb: Verb = 'write'): StoreError {
  if (err instanceof StoreError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
  const [what, hint] = explain(code, file);
  return new StoreError(code, file, `cannot ${verb} ${file}: ${what} (${code}).`, hint);
}
