// The answer cache of --cache: content-addressed by everything that changes the answer (the bytes
// of its image or images, model, system, prompt, request parameters), so a rerun sends only what is
// missing. Entries are written atomically; an unreadable, damaged or misplaced entry (not a file,
// another key's, the wrong shape) is a miss and is replaced, never an error. Its folder follows the
// one set of rules of store/paths.ts. Never holds the API key: only the answer, its usage and the model.
import { nodeCrypto } from '../lazy.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { readStateFile } from './state-file.js';

export { cacheDir } from './paths.js';

const VERSION = 1;
/** An answer is text of at most a model's output limit; an entry larger than this is not ours. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/** Whether --cache is on: the flag, or KIMI_VISION_CACHE=1 (or true/yes). */
export function cacheWanted(flag: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return flag === true || /^(1|true|yes)$/i.test(env.KIMI_VISION_CACHE?.trim() ?? '');
}

export interface KeyParts {
  sha256: string;
  /**
   * Every image of a request that holds several (diff's before and after), in order. Absent for
   * one image, and then left out of the key, so the keys of --each stay what they were.
   */
  images?: readonly string[] | undefined;
  model: string;
  system: string | undefined;
  prompt: string;
  /** The Partial Mode prefix the answer continues, if any. */
  prefill?: string | undefined;
  /** The request parameters (as sent); the stream fields are dropped, they do not change the answer. */
  params: Record<string, unknown>;
}

/** The cache key: sha256 of a canonical JSON of the parts (object keys sorted). */
export function cacheKey(k: KeyParts): string {
  const { stream: _s, stream_options: _o, ...params } = k.params;
  const canonical = canonicalJson({
    v: VERSION,
    image: k.sha256,
    images: k.images,
    model: k.model,
    system: k.system ?? null,
    prompt: k.prompt,
    prefill: k.prefill ?? null,
    params,
  });
  return nodeCrypto().createHash('sha256').update(canonical).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, x]) => `${JSON.stringify(key)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface CachedAnswer {
  model: string;
  text: string;
  finish_reason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** A cached entry as an answer (the shape a completion has). */
export function answerOf(hit: CachedAnswer): { model: string; text: string; finishReason: string; usage: CachedAnswer['usage'] } {
  return { model: hit.model, text: hit.text, finishReason: hit.finish_reason, usage: hit.usage };
}

export class AnswerCache {
  constructor(readonly dir: string) {}

  /** <dir>/<first two hex digits>/<key>.json */
  fileFor(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The stored answer, or undefined when there is none or it cannot be trusted. */
  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      // (read without blocking on a FIFO put in its place, and not past a size limit)
      const read = readStateFile(this.fileFor(key), { maxBytes: MAX_ENTRY_BYTES });
      return read ? validEntry(JSON.parse(read.text), key) : undefined;
    } catch {
      return undefined;
    }
  }

  async put(key: string, answer: CachedAnswer): Promise<void> {
    const file = this.fileFor(key);
    const entry = { v: VERSION, key, ...answer, created: new Date().toISOString() };
    await writeFileAtomic(file, `${JSON.stringify(entry)}\n`);
  }
}

function validEntry(e: unknown, key: string): CachedAnswer | undefined {
  const o = e as Record<string, unknown> | null;
  if (!o || o.v !== VERSION || o.key !== key) return undefined;
  if (typeof o.model !== 'string' || typeof o.text !== 'string' || typeof o.finish_reason !== 'string') return undefined;
  const u = o.usage as Record<string, unknown> | null;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!u || !num(u.prompt_tokens) || !num(u.completion_tokens) || !num(u.total_tokens)) return undefined;
  return {
    model: o.model,
    text: o.text,
    finish_reason: o.finish_reason,
    usage: { prompt_tokens: u.prompt_tokens as number, completion_tokens: u.completion_tokens as number, total_tokens: u.total_tokens as number },
  };
}
