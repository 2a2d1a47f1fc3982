// Atomic file writes: a temp file in the same directory, then rename.
import { nodeCrypto, fsPromises } from '../lazy.js';
import path from 'node:path';

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  // Folders it creates are as private as the file (0600 -> 0700, 0644 -> 0755).
  await fsPromises().mkdir(path.dirname(file), { recursive: true, mode: mode | ((mode & 0o444) >> 2) });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`);
  try {
    await fsPromises().writeFile(tmp, data, { mode });
    await fsPromises().rename(tmp, file);
  } catch (err) {
    await fsPromises().rm(tmp, { force: true });
    throw err;
  }
}
