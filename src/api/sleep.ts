// The wait between attempts: a timer that an aborted run cuts short with the "interrupted" error.
import { NetworkError } from '../errors.js';

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted());
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(interrupted());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a request or a wait stopped by the caller's signal fails with: not retried, nothing shown. */
export function interrupted(): NetworkError {
  return new NetworkError('interrupted', 'interrupted', undefined, false, false);
}
