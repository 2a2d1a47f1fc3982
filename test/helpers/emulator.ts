// One emulator per test file: started before the file's tests, closed after them.
import { afterAll, beforeAll } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { Emulator, EmulatorOptions } from '../emulator/types.js';

/** The suite's emulator. Usable inside tests and hooks (it starts in a beforeAll). */
export function useEmulator(opts?: EmulatorOptions): Emulator {
  let real: Emulator | undefined;
  beforeAll(async () => {
    real = await startEmulator(opts);
  });
  afterAll(async () => {
    await real?.close();
  });
  return new Proxy({} as Emulator, {
    get(_target, key) {
      if (!real) throw new Error('the emulator starts in beforeAll: use it inside a test or hook');
      const value: unknown = Reflect.get(real, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
}
