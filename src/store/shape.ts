// A tiny shape checker for the state the tool reads back (sessions, config, manifests, the uploads
// index): valid JSON of the wrong shape (`{}`, `null`, `[]`, a number where a string was) is a
// readable DamagedStateError ("messages[3].role must be a string, not a number"), never a TypeError
// later. Hand-written: a schema library costs more start-up time than these few lines. Messages name
// the place and the kind of value found, never the value itself (a config file holds the API key).
import { DamagedStateError } from '../errors.js';

/** Checks `value` (found at `at`, e.g. "messages[3]") and returns it typed, or throws a ShapeError. */
export type Shape<T> = (value: unknown, at: string) => T;
export type Infer<S> = S extends Shape<infer T> ? T : never;

export class ShapeError extends Error {
  constructor(
    readonly at: string,
    readonly problem: string,
  ) {
    super(`${at || 'the file'} ${problem}`);
    this.name = 'ShapeError';
  }
}

/** Checks a whole state file's value: the typed value, or "damaged: <file> (<what is wrong>)". */
export function expectShape<T>(value: unknown, shape: Shape<T>, file: string, hint?: string): T {
  try {
    return shape(value, '');
  } catch (err) {
    if (err instanceof ShapeError) throw new DamagedStateError(file, err.message, hint);
    throw err;
  }
}

/** "a string", "null", "an array", … : what was found, for messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'not a finite number';
  return { string: 'a string', number: 'a number', boolean: 'a boolean', object: 'an object', undefined: 'missing' }[typeof v as string] ?? typeof v;
}

const fail = (at: string, expected: string, v: unknown): never => {
  throw new ShapeError(at, v === undefined ? 'is missing' : `must be ${expected}, not ${kindOf(v)}`);
};

export const string: Shape<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));
export const boolean: Shape<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'a boolean', v));
export const number: Shape<number> = (v, at) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(at, 'a number', v));
/** A whole number, at least 0 (counts, sizes, token numbers). */
export const count: Shape<number> = (v, at) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(at, 'a whole number of at least 0', v));
export const unknown: Shape<unknown> = (v) => v;

/** A string of a given form (an id that becomes a file name, a sha256), said as `expected`. */
export function matching(re: RegExp, expected: string): Shape<string> {
  return (v, at) => (typeof v === 'string' && re.test(v) ? v : fail(at, expected, v));
}

export function literal<const L extends readonly (string | number | boolean | null)[]>(...values: L): Shape<L[number]> {
  const words = values.map((x) => JSON.stringify(x)).join(' or ');
  return (v, at) => (values.includes(v as L[number]) ? (v as L[number]) : fail(at, words, v));
}

export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (v, at) => (v === undefined ? undefined : shape(v, at));
}

export function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (v, at) => (v === null ? null : shape(v, at));
}

export function array<T>(item: Shape<T>): Shape<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) return fail(at, 'an array', v);
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

/** An object with these fields (others are kept: a newer version may add some). */
export function object<S extends Record<string, Shape<unknown>>>(fields: S): Shape<{ [K in keyof S]: Infer<S[K]> }> {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [key, shape] of Object.entries(fields)) shape(Object.hasOwn(o, key) ? o[key] : undefined, at ? `${at}.${key}` : key);
    return o as { [K in keyof S]: Infer<S[K]> };
  };
}

/** An object used as a map: any keys, every value of one shape. */
export function record<T>(value: Shape<T>): Shape<Record<string, T>> {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
    for (const [key, x] of Object.entries(v)) value(x, at ? `${at}[${JSON.stringify(key)}]` : JSON.stringify(key));
    return v as Record<string, T>;
  };
}

/** The first shape that fits. Else, when one of them failed deeper inside the value (an item of the
 *  array it took), that failure, which says more; else "must be <expected>". */
export function oneOf<A, B>(a: Shape<A>, b: Shape<B>, expected: string): Shape<A | B> {
  return (v, at) => {
    let deepest: ShapeError | undefined;
    for (const shape of [a, b]) {
      try {
        return shape(v, at);
      } catch (err) {
        if (!(err instanceof ShapeError)) throw err;
        if (err.at.length > at.length && (!deepest || err.at.length > deepest.at.length)) deepest = err;
      }
    }
    throw deepest ?? new ShapeError(at, v === undefined ? 'is missing' : `must be ${expected}, not ${kindOf(v)}`);
  };
}
