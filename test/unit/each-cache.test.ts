// The --cache store: what the key covers, atomic entries, corrupt entries ignored and replaced.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerCache, cacheDir, cacheKey, cacheWanted, type KeyParts } from '../../src/store/answer-cache.js';

const parts: KeyParts = {
  sha256: 'a'.repeat(64),
  model: 'kimi-k2.6',
  system: 'Be terse.',
  prompt: 'Describe the image.',
  params: { model: 'kimi-k2.6', thinking: { type: 'disabled' }, max_tokens: 100, stream: true, stream_options: { include_usage: true } },
};
const answer = { model: 'kimi-k2.6', text: 'A cat.', finish_reason: 'stop', usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } };
const tmp = () => mkdtempSync(path.join(tmpdir(), 'kv-cache-'));

describe('cacheKey', () => {
  it('changes with the image, model, system, prompt, prefill and every answer-changing parameter', () => {
    const base = cacheKey(parts);
    const variants: KeyParts[] = [
      { ...parts, sha256: 'b'.repeat(64) },
      { ...parts, model: 'kimi-k3' },
      { ...parts, system: undefined },
      { ...parts, prompt: 'Describe the image.\n\nAnswer in at most 100 characters.' },
      { ...parts, prefill: 'The image shows' },
      { ...parts, params: { ...parts.params, max_tokens: 101 } },
      { ...parts, params: { ...parts.params, thinking: { type: 'enabled' } } },
      { ...parts, params: { ...parts.params, response_format: { type: 'json_object' } } },
    ];
    const keys = new Set([base, ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('ignores the stream fields and the order of object keys', () => {
    const { stream: _s, stream_options: _o, ...rest } = parts.params;
    const reordered = Object.fromEntries(Object.entries({ ...rest, stream: false }).reverse());
    expect(cacheKey({ ...parts, params: reordered })).toBe(cacheKey(parts));
  });
});

describe('AnswerCache', () => {
  it('round-trips an answer through an atomic write, leaving no temp file behind', async () => {
    const cache = new AnswerCache(tmp());
    const key = cacheKey(parts);
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, answer);
    expect(await cache.get(key)).toEqual(answer);
    expect(readdirSync(path.dirname(cache.fileFor(key)))).toEqual([`${key}.json`]);
  });

  it.each([
    ['truncated JSON', '{"v":1,"key":'],
    ['not JSON', 'garbage\u0000'],
    ['another key', JSON.stringify({ v: 1, key: 'other', ...answer })],
    ['another version', JSON.stringify({ v: 99, key: 'K', ...answer })],
    ['missing usage', JSON.stringify({ v: 1, key: 'K', model: 'm', text: 't', finish_reason: 'stop' })],
    ['negative tokens', JSON.stringify({ v: 1, key: 'K', ...answer, usage: { prompt_tokens: -1, completion_tokens: 0, total_tokens: 0 } })],
  ])('treats a corrupt entry (%s) as a miss, and a put replaces it', async (_name, content) => {
    const cache = new AnswerCache(tmp());
    const key = cacheKey(parts);
    const file = cache.fileFor(key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content.replace('"K"', JSON.stringify(key)));
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, answer);
    expect(await cache.get(key)).toEqual(answer);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ v: 1, key, text: 'A cat.' });
  });

  it('is a miss, not an error, when the directory cannot be read', async () => {
    const file = path.join(tmp(), 'not-a-dir');
    writeFileSync(file, 'x');
    expect(await new AnswerCache(file).get(cacheKey(parts))).toBeUndefined();
  });
});

describe('where the cache lives', () => {
  it('KIMI_VISION_CACHE_DIR, else $XDG_CACHE_HOME/kimi-vision, else ~/.cache/kimi-vision', () => {
    expect(cacheDir({ KIMI_VISION_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(path.join('/x', 'kimi-vision'));
    expect(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe(path.join('/h', '.cache', 'kimi-vision'));
    expect(cacheDir({ HOME: '/h' })).toBe(path.join('/h', '.cache', 'kimi-vision'));
  });

  it('is on with --cache or KIMI_VISION_CACHE=1', () => {
    expect(cacheWanted(true, {})).toBe(true);
    expect(cacheWanted(undefined, { KIMI_VISION_CACHE: '1' })).toBe(true);
    expect(cacheWanted(undefined, { KIMI_VISION_CACHE: '0' })).toBe(false);
    expect(cacheWanted(undefined, {})).toBe(false);
  });
});
