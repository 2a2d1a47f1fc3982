// Byte builders for the format tests: fixtures by name, and byte strings from pieces.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string): Uint8Array => readFileSync(fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url)));

export type Part = string | readonly number[] | Uint8Array;

/** Concatenates latin1 strings, byte lists and arrays. */
export const bytes = (...parts: Part[]): Uint8Array => {
  const arrays = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Uint8Array.from(p)));
  return new Uint8Array(Buffer.concat(arrays));
};
