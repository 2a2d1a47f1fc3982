// A server that misbehaves (issue 12), for describe --each --cache --write: each hostile answer is
// that image's failure record; the other images are described; nothing that failed is cached or
// written as a sidecar, so a rerun with --cache sends exactly the failed image again.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../emulator/types.js';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin } from '../helpers/cli.js';

const emu = useEmulator();
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const KEY = 'sk-hostile-each-7c7c7c7c';
const NAMES = ['1-small.png', '2-photo.jpg', '3-screenshot.png'];
const SOURCES = ['small.png', 'photo.jpg', 'screenshot.png'];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let dir = '';
let cacheDir = '';
beforeEach(() => {
  emu.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-each-'));
  cacheDir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-cache-'));
  temps.push(dir, cacheDir);
  NAMES.forEach((name, i) => copyFileSync(path.join(FIXTURES, SOURCES[i] as string), path.join(dir, name)));
  const bySha = new Map(NAMES.map((n) => [sha(path.join(dir, n)), `About ${n}.`]));
  emu.set({ reply: (ctx) => bySha.get(ctx.images[0]?.sha256 ?? '') });
});

/** --each over the folder, one image at a time (so a queued fault meets the first image), cached, with sidecars. */
const each = (extra: string[] = []) =>
  runBin(['describe', '--each', '.', '-j', '1', '--cache', '--write', 'txt', '--format', 'jsonl', '--max-attempts', '1', ...extra], {
    cwd: dir,
    env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, KIMI_VISION_CACHE_DIR: cacheDir },
  });
const records = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
const cached = () =>
  readdirSync(cacheDir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json'));
const sidecars = () => NAMES.filter((n) => existsSync(path.join(dir, `${n}.txt`)));

it.each<[string, Fault, string[], { code: number; type: RegExp; message: RegExp }]>([
  [
    'HTTP 200 with a JSON error body',
    { kind: 'json-error-200', type: 'invalid_request_error', message: 'Invalid request: the gateway says no' },
    [],
    { code: 5, type: /^invalid_request_error$/, message: /400 invalid_request_error: Invalid request: the gateway says no/ },
  ],
  [
    'a stream that never ends',
    { kind: 'endless-stream' },
    ['--max-tokens', '50'],
    { code: 75, type: /^endless_answer$/, message: /did not end: it went past [\d,]+ (events|characters), more than 50 output tokens \(--max-tokens 50\)/ },
  ],
  ['an error body that never ends', { kind: 'endless-error-body', status: 400 }, [], { code: 5, type: /^invalid_request_error$/, message: /an error body over 64 KiB, cut/ }],
  [
    'a content encoding nobody can read',
    { kind: 'gzip', encoding: 'x-weird' },
    [],
    { code: 75, type: /^bad_encoding$/, message: /content encoding x-weird, which kimi-vision cannot read/ },
  ],
  ['a redirect', { kind: 'redirect', status: 307 }, [], { code: 2, type: /^UsageError$/, message: /with a redirect \(307 Temporary Redirect\)/ }],
  ['headers over the limit', { kind: 'huge-headers' }, [], { code: 75, type: /^UND_ERR_HEADERS_OVERFLOW$/, message: /sent headers larger than 16 KiB/ }],
])('%s: that image fails, the others are described; it is neither cached nor a sidecar, and a rerun sends it again', async (_name, fault, extra, want) => {
  emu.queueFault(fault);
  const first = await each(extra);
  expect(first.code).toBe(want.code);
  expect(first.stderr).not.toMatch(/\n\s+at |node:internal|Unhandled/);
  const [failed, ...good] = records(first.stdout);
  expect(failed).toMatchObject({ path: NAMES[0], text: '', finish_reason: null, cached: false, error: { code: want.code } });
  expect(failed?.error.type).toMatch(want.type);
  expect(failed?.error.message).toMatch(want.message);
  expect(good.map((r) => [r.path, r.text, r.error])).toEqual([
    [NAMES[1], `About ${NAMES[1]}.`, null],
    [NAMES[2], `About ${NAMES[2]}.`, null],
  ]);
  expect(sidecars()).toEqual([NAMES[1], NAMES[2]]);
  expect(cached()).toHaveLength(2);
  for (const f of cached()) expect(readFileSync(path.join(cacheDir, f), 'utf8')).not.toMatch(/gateway says no|and so on|goes on|x-weird/);

  // The rerun sends only the image that failed, and now it is answered, cached and written.
  emu.reset();
  const second = await each(extra);
  expect(second.code).toBe(0);
  expect(second.stderr).toMatch(/1 image to send \(2 cached\)/);
  expect(emu.chatRequests()).toHaveLength(1);
  expect(records(second.stdout).map((r) => [r.path, r.text, r.cached])).toEqual([
    [NAMES[0], `About ${NAMES[0]}.`, false],
    [NAMES[1], `About ${NAMES[1]}.`, true],
    [NAMES[2], `About ${NAMES[2]}.`, true],
  ]);
  expect(sidecars()).toEqual(NAMES);
  expect(cached()).toHaveLength(3);
});

describe('wire faults a correct client reads through', () => {
  it.each<[string, Fault]>([
    ['gzip', { kind: 'gzip' }],
    ['brotli', { kind: 'gzip', encoding: 'br' }],
    ['SSE with CR line endings and odd lines', { kind: 'sse-odd-lines', lineEnding: '\r' }],
    ['Content-Type in another case', { kind: 'content-type-case' }],
  ])('%s: every image described and cached', async (_name, fault) => {
    emu.queueFault(fault);
    const r = await each();
    expect(r.code).toBe(0);
    expect(records(r.stdout).map((x) => [x.path, x.text, x.error])).toEqual(NAMES.map((n) => [n, `About ${n}.`, null]));
    expect(emu.chatRequests()).toHaveLength(3); // read the first time, not retried until the fault was gone
    expect(cached()).toHaveLength(3);
  });
});
