// What an interrupted run must not leave behind: the temporaries of atomic writes in flight and the
// lock files it holds. Each registers a synchronous clean-up; the CLI calls removePendingTemps() on
// its way out after SIGINT, SIGTERM or EPIPE (an exit handler cannot await), so no partial file and no
// lock of a dead run is left.

const pending = new Map<number, () => void>();
let nextId = 0;

/** Registers a clean-up to run if the process exits now; returns the function that unregisters it. */
export function onAbruptExit(cleanUp: () => void): () => void {
  const id = nextId++;
  pending.set(id, cleanUp);
  return () => {
    pending.delete(id);
  };
}

/**
 * Removes every temporary file still being written and every lock still held, synchronously, at
 * once. For the exit path only: the writes in flight are not told, and will fail if the process
 * lives on. A clean-up that fails (the file is already gone) is skipped.
 */
export function removePendingTemps(): void {
  const all = [...pending.values()];
  pending.clear();
  for (const cleanUp of all) {
    try {
      cleanUp();
    } catch {
      // gone already, or its folder is: nothing to remove
    }
  }
}

/** How many clean-ups are registered (for tests and debug output). */
export function pendingCount(): number {
  return pending.size;
}
