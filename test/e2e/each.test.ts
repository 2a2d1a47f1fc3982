// describe --each, the real bin against the emulator: one request per image, the in-flight ceiling,
// results in input order, sidecars, the cache, shards, --fail-fast, money, rate limits and Ctrl-C.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync as makeTemp, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { Emulator, LoggedRequest } from '../emulator/types.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const temps: string[] = [];
const mkdtempSync = (prefix: string) => {
  const dir = makeTemp(prefix);
  temps.push(dir);
  return dir;
};
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, firstByteDelayMs: 0, chunkDelayMs: 0, maxConcurrency: undefined, rpmLimit: undefined, keys: undefined, balance: 49.58, usagePlacement: 'choice' });
});

const KEY = 'sk-test-each-0123456789';
/** Distinct images (distinct bytes), so the emulator can answer each differently. */
const SOURCES = ['small.png', 'photo.jpg', 'screenshot.png', 'image.webp', 'anim.gif', 'image.bmp', 'jpeg-named.png', 'dir/a.png', 'dir/nested/b.jpg'];

/** A temp folder holding copies of the first `n` sources as 1-small.png, 2-photo.jpg, … */
function folder(n: number): { dir: string; names: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-each-'));
  const names = SOURCES.slice(0, n).map((src, i) => `${i + 1}-${path.basename(src)}`);
  names.forEach((name, i) => copyFileSync(path.join(FIXTURES, SOURCES[i] as string), path.join(dir, name)));
  return { dir, names };
}

/** The emulator answers "about <file name>" for each image of the folder. */
function answerByName(dir: string, names: string[]): void {
  const bySha = new Map<string, string>();
  for (const name of names) {
    bySha.set(emuSha(readFileSync(path.join(dir, name))), `About ${name}.`);
  }
  emu.set({ reply: (ctx) => bySha.get(ctx.images[0]?.sha256 ?? '') });
}

function kv(args: string[], o: SpawnOptions = {}) {
  return runBin(['describe', '--each', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
}

const emuSha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
/** The file name a logged chat request was about (its one image, by content). */
const nameOf = (dir: string, names: string[]) => (r: LoggedRequest) => names.find((n) => emuSha(readFileSync(path.join(dir, n))) === r.images[0]?.sha256);

describe('describe --each: one request per image', () => {
  it('never has more than -j requests in flight (and does overlap them)', async () => {
    const { dir, names } = folder(8);
    emu.set({ firstByteDelayMs: 100 });
    const r = await kv(['.', '-j', '3', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(8);
    expect(emu.peakInFlight).toBe(3);
    for (const req of emu.chatRequests()) expect(req.images).toHaveLength(1);
    expect(r.stdout.match(/^==> .* <==$/gm)).toEqual(names.map((n) => `==> ${n} <==`));

    emu.reset();
    const one = await kv(['.', '-j', '1', '-q'], { cwd: dir });
    expect(one.code).toBe(0);
    expect(emu.peakInFlight).toBe(1);
  });

  it('sends the same prompt, system and options with each image', async () => {
    const { dir } = folder(2);
    const r = await kv(['.', '-p', 'Alt text?', '-s', 'Be terse.', '--max-tokens', '60', '--max-chars', '200'], { cwd: dir });
    expect(r.code).toBe(0);
    const bodies = emu.chatRequests().map((q) => q.body as { max_completion_tokens: number; messages: { role: string; content: any }[] });
    for (const b of bodies) {
      expect(b.max_completion_tokens).toBe(60);
      expect(b.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
      expect(b.messages[1]!.content.map((p: { type: string }) => p.type)).toEqual(['image_url', 'text']);
      expect(b.messages[1]!.content[1].text).toBe('Alt text?\n\nAnswer in at most 200 characters.');
    }
    expect(r.stderr).toMatch(/^2 images to send · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/m);
    expect(r.stderr).toMatch(/^2 described, 0 failed · [\d,]+ prompt \+ [\d,]+ completion tokens · ¥[\d.]+ · [\d.]+ s$/m);
  });
});

describe('describe --each --format jsonl', () => {
  it('prints one record per image in input order, even when later images finish first', async () => {
    const { dir, names } = folder(4);
    // The first image's answer is long and slow to stream, so it finishes last.
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const bySha = new Map(names.map((n) => [emuSha(readFileSync(path.join(dir, n))), n === names[0] ? long : `About ${n}.`]));
    emu.set({ reply: (ctx) => bySha.get(ctx.images[0]?.sha256 ?? ''), chunkDelayMs: 10 });
    const r = await kv(['.', '--format', 'jsonl', '-j', '4'], { cwd: dir });
    expect(r.code).toBe(0);
    const records = lines(r.stdout);
    expect(records.map((x) => x.path)).toEqual(names);
    expect(records[0]!.text).toBe(long);
    const ended = [...emu.chatRequests()].sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0)).map(nameOf(dir, names));
    expect(ended.at(-1)).toBe(names[0]); // it really did finish last
    for (const x of records) {
      expect(Object.keys(x)).toEqual(['path', 'sha256', 'mime', 'model', 'text', 'finish_reason', 'usage', 'cost', 'ms', 'error', 'cached']);
      expect(x.sha256).toBe(emuSha(readFileSync(path.join(dir, x.path))));
      expect(x.usage.total_tokens).toBe(x.usage.prompt_tokens + x.usage.completion_tokens);
      expect(x.cost.amount).toBeGreaterThan(0);
      expect(x.error).toBeNull();
      expect(x.cached).toBe(false);
    }
  });

  it('records a failure in the middle, keeps every success, and exits with the first failure in input order', async () => {
    const { dir, names } = folder(4);
    answerByName(dir, names);
    emu.queueFault({ kind: 'delay', ms: 0 }); // 1st request: fine
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'The request was rejected because it was considered high risk' });
    emu.queueFault({ kind: 'error', status: 500, type: 'server_error', message: 'boom' });
    const r = await kv(['.', '--format', 'jsonl', '-j', '1', '--max-attempts', '1'], { cwd: dir });
    expect(r.code).toBe(5);
    const records = lines(r.stdout);
    expect(records.map((x) => x.path)).toEqual(names);
    expect(records.map((x) => x.error?.code ?? 0)).toEqual([0, 5, 75, 0]);
    expect(records[1]).toMatchObject({ text: '', finish_reason: null, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, cost: { amount: 0 } });
    expect(records[1]!.error).toMatchObject({ type: 'content_filter', message: expect.stringMatching(/content filter/) });
    expect(records[2]!.error.type).toBe('server_error');
    expect(records[3]!.text).toBe(`About ${names[3]}.`);
    expect(r.stderr).toMatch(/error: 2-photo\.jpg: .*content filter/);
    expect(r.stderr).toMatch(/2 described, 2 failed/);
    expect(r.stderr).not.toContain(KEY);
  });

  it('retries a stream cut mid-answer from scratch: the answer appears once, whole', async () => {
    const { dir, names } = folder(2);
    answerByName(dir, names);
    emu.queueFault({ kind: 'reset-mid-stream', afterEvents: 2 });
    const r = await kv(['.', '--format', 'jsonl', '-j', '1'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => x.text)).toEqual(names.map((n) => `About ${n}.`));
    expect(emu.chatRequests()).toHaveLength(3);
    expect(r.stderr).toMatch(/1-small\.png: attempt 1 failed .*retrying/);
  });
});

describe('describe --each: answers that still fail', () => {
  it('--max-chars: asks for the limit, and an answer over it fails that image (too_long, exit 5)', async () => {
    const { dir, names } = folder(2);
    const bySha = new Map(names.map((n, i) => [emuSha(readFileSync(path.join(dir, n))), i === 0 ? 'Short.' : 'A much longer answer than allowed.']));
    emu.set({ reply: (ctx) => bySha.get(ctx.images[0]?.sha256 ?? '') });
    const r = await kv(['.', '--max-chars', '10', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(5);
    const [short, long] = lines(r.stdout);
    expect(short).toMatchObject({ text: 'Short.', error: null });
    expect(long!.error).toEqual({ code: 5, type: 'too_long', message: 'the answer has 34 characters, over --max-chars 10.' });
    // A paid answer is never thrown away: the failed record keeps its text, its real usage and cost.
    expect(long).toMatchObject({ text: 'A much longer answer than allowed.', finish_reason: 'stop', cached: false });
    const usage = long!.usage as { prompt_tokens: number; completion_tokens: number };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect((long!.cost as { amount: number }).amount).toBeGreaterThan(0);
    // …and the records add up to the totals line, tokens and money.
    const all = lines(r.stdout) as { usage: { prompt_tokens: number; completion_tokens: number }; cost: { amount: number } }[];
    const sum = (f: (x: (typeof all)[number]) => number) => all.reduce((a, x) => a + f(x), 0);
    const totals = /1 described, 1 failed · ([\d,]+) prompt \+ ([\d,]+) completion tokens · ¥([\d.]+)/.exec(r.stderr);
    expect(totals).not.toBeNull();
    expect(Number(totals![1]!.replace(/,/g, ''))).toBe(sum((x) => x.usage.prompt_tokens));
    expect(Number(totals![2]!.replace(/,/g, ''))).toBe(sum((x) => x.usage.completion_tokens));
    expect(Number(totals![3])).toBeCloseTo(
      sum((x) => x.cost.amount),
      3,
    );
  });

  it('falls back once for the whole run when the key cannot use the default model', async () => {
    const { dir, names } = folder(4);
    answerByName(dir, names);
    emu.set({ keys: { [KEY]: { models: ['kimi-k3.1-pro'] } } });
    const r = await kv(['.', '-j', '2', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => [x.model, x.text])).toEqual(names.map((n) => ['kimi-k3.1-pro', `About ${n}.`]));
    const models = emu.chatRequests().map((q) => (q.body as { model: string }).model);
    expect(models.filter((m) => m === 'kimi-k2.6').length).toBeLessThanOrEqual(2); // only what was in flight
    expect(models.filter((m) => m === 'kimi-k3.1-pro')).toHaveLength(4);
    expect(r.stderr.match(/kimi-k2\.6 is not available to this key \(404\); using kimi-k3\.1-pro instead/g)).toHaveLength(1);
  });
});

describe('describe --each --format markdown', () => {
  it('prints a section per image with a relative, encoded image link; failures as blockquotes', async () => {
    const { dir } = folder(0);
    mkdirSync(path.join(dir, 'shots'));
    copyFileSync(path.join(FIXTURES, 'small.png'), path.join(dir, 'shots', 'login form (dark).png'));
    copyFileSync(path.join(FIXTURES, 'photo.jpg'), path.join(dir, 'shots', 'b_photo.jpg'));
    emu.set({ reply: () => 'A login form.' });
    emu.queueFault({ kind: 'delay', ms: 0 });
    emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'unsupported image format' });
    const r = await kv(['shots', '--format', 'markdown', '-j', '1', '-q'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('## shots/b\\_photo.jpg\n\n![b\\_photo.jpg](shots/b_photo.jpg)\n\nA login form.\n');
    expect(r.stdout).toContain('## shots/login form (dark).png\n\n![login form (dark).png](shots/login%20form%20%28dark%29.png)\n\n> **Failed** (invalid_request_error, exit 5): ');
    expect(r.stdout).toMatch(/\n---\n\n1 described, 1 failed · .*\n$/);
  });

  it('jsonl and markdown need --each; --format json with --each needs --dry-run (exit 2, nothing sent)', async () => {
    for (const args of [
      ['describe', 'fixtures/small.png', '--format', 'jsonl'],
      ['describe', 'fixtures/small.png', '--format', 'markdown'],
      ['describe', '--each', 'fixtures/small.png', '--format', 'json'],
      ['describe', 'fixtures/small.png', '--write', 'txt'],
    ]) {
      const r = await runBin(args, { env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(emu.requests).toHaveLength(0);
  });
});

describe('describe --each --write', () => {
  it('writes a sidecar next to each image, and --skip-existing sends only images without one', async () => {
    const { dir, names } = folder(3);
    answerByName(dir, names);
    const first = await kv(['.', '--write', 'txt', '-q'], { cwd: dir });
    expect(first.code).toBe(0);
    for (const n of names) expect(readFileSync(path.join(dir, `${n}.txt`), 'utf8')).toBe(`About ${n}.\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    copyFileSync(path.join(FIXTURES, 'image.bmp'), path.join(dir, '4-new.bmp'));
    emu.reset();
    const again = await kv(['.', '--write', 'txt', '--skip-existing', '--format', 'jsonl'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(lines(again.stdout).map((x) => x.path)).toEqual(['4-new.bmp']);
    expect(existsSync(path.join(dir, '4-new.bmp.txt'))).toBe(true);
    expect(again.stderr).toMatch(/1 image to send \(3 skipped\)/);
    expect(again.stderr).toMatch(/1 described, 0 failed, 3 skipped \(sidecar exists\)/);
    expect(again.stderr).not.toMatch(/skipped \d+ files? in directories/); // the sidecars are not "unsupported images"
  });

  it('writes the record as JSON with --write json, and no sidecar for a failed image', async () => {
    const { dir, names } = folder(2);
    answerByName(dir, names);
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' });
    const r = await kv(['.', '--write', 'json', '-j', '1', '-q', '--max-attempts', '1'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(existsSync(path.join(dir, `${names[0]}.json`))).toBe(false);
    const record = JSON.parse(readFileSync(path.join(dir, `${names[1]}.json`), 'utf8'));
    expect(record).toMatchObject({ path: names[1], text: `About ${names[1]}.`, error: null, cached: false });
  });

  it('refuses sidecars for stdin (exit 2, nothing sent)', async () => {
    const r = await kv(['-', '--write', 'txt'], { stdin: readFileSync(path.join(FIXTURES, 'small.png')) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin \(-\) and URLs are not files/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('describe --each --cache', () => {
  it('a full rerun sends nothing; a half-failed run reruns only what failed', async () => {
    const { dir, names } = folder(4);
    answerByName(dir, names);
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'kv-cache-'));
    const env = { KIMI_VISION_CACHE_DIR: cacheDir };
    emu.queueFault({ kind: 'delay', ms: 0 });
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' });
    const first = await kv(['.', '--cache', '--format', 'jsonl', '-j', '1', '--max-attempts', '1'], { cwd: dir, env });
    expect(first.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(4);

    emu.reset();
    const second = await kv(['.', '--format', 'jsonl'], { cwd: dir, env: { ...env, KIMI_VISION_CACHE: '1' } });
    expect(second.code).toBe(0);
    expect(emu.chatRequests().map(nameOf(dir, names))).toEqual([names[1]]);
    expect(lines(second.stdout).map((x) => x.cached)).toEqual([true, false, true, true]);
    expect(second.stderr).toMatch(/1 image to send \(3 cached\)/);

    emu.reset();
    const third = await kv(['.', '--cache', '--format', 'jsonl'], { cwd: dir, env });
    expect(third.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(0);
    const records = lines(third.stdout);
    expect(records.map((x) => [x.path, x.text, x.cached, x.cost.amount])).toEqual(names.map((n) => [n, `About ${n}.`, true, 0]));
    expect(third.stderr).toMatch(/4 described \(4 from cache\), 0 failed · 0 prompt \+ 0 completion tokens · ¥0\.00/);
    // No key anywhere in the cache.
    const entries = readdirSync(cacheDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    expect(entries).toHaveLength(4);
    for (const f of entries) expect(readFileSync(path.join(cacheDir, f), 'utf8')).not.toContain(KEY);
  });

  it('a corrupt entry is ignored and replaced; a changed prompt misses the cache', async () => {
    const { dir, names } = folder(2);
    answerByName(dir, names);
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'kv-cache-'));
    const env = { KIMI_VISION_CACHE_DIR: cacheDir };
    await kv(['.', '--cache', '-q'], { cwd: dir, env });
    const files = readdirSync(cacheDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(2);
    writeFileSync(path.join(cacheDir, files[0] as string), '{"v":1,"key":"trunc');
    emu.reset();
    const r = await kv(['.', '--cache', '--format', 'jsonl'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(1); // only the corrupt one
    expect(lines(r.stdout).map((x) => x.text)).toEqual(names.map((n) => `About ${n}.`));
    emu.reset();
    await kv(['.', '--cache', '-q'], { cwd: dir, env });
    expect(emu.chatRequests()).toHaveLength(0); // it was replaced
    await kv(['.', '--cache', '-q', '-p', 'Other question?'], { cwd: dir, env });
    expect(emu.chatRequests()).toHaveLength(2);
  });
});

describe('describe --each --shard', () => {
  it('n shards cover the folder with no overlap, and their JSONL concatenates into the whole', async () => {
    const { dir, names } = folder(9);
    answerByName(dir, names);
    const parts = await Promise.all([1, 2, 3].map((i) => kv(['.', '--shard', `${i}/3`, '--format', 'jsonl'], { cwd: dir })));
    for (const p of parts) expect(p.code).toBe(0);
    const paths = parts.flatMap((p) => lines(p.stdout).map((x) => x.path as string));
    expect([...paths].sort()).toEqual([...names].sort());
    expect(new Set(paths).size).toBe(names.length);
    expect(emu.chatRequests()).toHaveLength(names.length);
    // The same split on a rerun (stable), whatever the order of the arguments.
    const again = await kv([...[...names].reverse(), '--shard', '2/3', '--dry-run', '--format', 'json'], { cwd: dir });
    expect((JSON.parse(again.stdout).images as { path: string }[]).map((i) => i.path).sort()).toEqual(
      lines(parts[1]!.stdout)
        .map((x) => x.path)
        .sort(),
    );
  });

  it.each(['0/3', '4/3', 'x', '1/0'])('refuses --shard %s (exit 2)', async (spec) => {
    const r = await kv(['fixtures/small.png', '--shard', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--shard ${spec} is not a shard`);
  });
});

describe('describe --each: stopping', () => {
  it('--fail-fast stops at the first failure: nothing new starts, what is in flight is aborted', async () => {
    const { dir, names } = folder(6);
    answerByName(dir, names);
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' }); // the first to arrive
    emu.queueFault({ kind: 'delay', ms: 10_000 }); // the other one in flight hangs
    const r = await kv(['.', '--fail-fast', '-j', '2', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(2);
    const records = lines(r.stdout);
    expect(records).toHaveLength(1);
    expect(records[0]!.error.type).toBe('content_filter');
    expect(r.stderr).toMatch(/0 described, 1 failed, 5 not done/);
    const hung = emu.chatRequests().find((q) => q.status !== 400);
    expect(hung?.status).toBeUndefined(); // aborted before it answered
  });

  it('a failure that would be the same for every image (the key, the account, the model) stops the run', async () => {
    const { dir, names } = folder(4);
    answerByName(dir, names);
    emu.queueFault({ kind: 'error', status: 401, type: 'invalid_authentication_error', message: 'Invalid Authentication' });
    const r = await kv(['.', '-j', '1', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(4);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(lines(r.stdout).map((x) => [x.path, x.error?.code])).toEqual([[names[0], 4]]);
    expect(r.stderr).toMatch(/stopped \(this failure applies to every image\): 3 of 4 images not described/);
    expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
  });

  it('without --fail-fast every image is attempted', async () => {
    const { dir, names } = folder(4);
    answerByName(dir, names);
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' });
    const r = await kv(['.', '-j', '2', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(5);
    expect(lines(r.stdout)).toHaveLength(4);
    expect(emu.chatRequests()).toHaveLength(4);
  });

  it('Ctrl-C: in-flight requests are aborted, finished lines are already out, exit 130', async () => {
    const { dir, names } = folder(3);
    answerByName(dir, names);
    emu.queueFault({ kind: 'delay', ms: 0 });
    emu.queueFault({ kind: 'delay', ms: 10_000 });
    let seen = '';
    const r = await kv(['.', '-j', '1', '--format', 'jsonl'], {
      cwd: dir,
      onSpawn: (child) => {
        const check = (d: Buffer | string) => {
          seen += String(d);
          if (seen.includes('\n')) child.kill('SIGINT');
        };
        child.stdout?.on('data', check);
      },
    });
    expect(r.code).toBe(130);
    expect(lines(r.stdout).map((x) => x.path)).toEqual([names[0]]);
    expect(r.stderr).toMatch(/interrupted/);
    expect(emu.chatRequests()).toHaveLength(2);
  });
});

describe('describe --each: money', () => {
  it('--max-cost refuses the whole run when the total estimate is above it (exit 6, nothing sent)', async () => {
    const { dir } = folder(3);
    const r = await kv(['.', '--max-cost', '0.0001'], { cwd: dir });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/the estimated cost ¥[\d.]+ of 3 images is above --max-cost ¥0\.0001; nothing was sent/);
    expect(emu.requests).toHaveLength(0);
  });

  it('--dry-run --format json: the per-image estimates and the total, no key, nothing sent', async () => {
    const { dir, names } = folder(2);
    const r = await runBin(['describe', '--each', '.', '--dry-run', '--format', 'json'], { cwd: dir, env: { MOONSHOT_BASE_URL: emu.baseUrl } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'images', 'estimate', 'cached', 'skipped']);
    expect(out.images.map((i: { path: string }) => i.path)).toEqual(names);
    expect(Object.keys(out.images[0])).toEqual(['path', 'mime', 'bytes', 'sha256', 'estimate']);
    const sum = out.images.reduce((n: number, i: { estimate: { input_tokens: number } }) => n + i.estimate.input_tokens, 0);
    expect(out.estimate.input_tokens).toBe(sum);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('describe --each: pace', () => {
  it('a rate limit slows the whole run: every worker waits the time named, and the concurrency drops to what the API allows', async () => {
    const { dir, names } = folder(6);
    answerByName(dir, names);
    // Two answered at once; the 3rd and 4th of the first burst get 429 "max organization concurrency: 2,
    // please try again after 1 seconds" at once, while the answered two still stream.
    emu.set({ maxConcurrency: 2, chunkDelayMs: 40 });
    const r = await kv(['.', '-j', '4', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => x.text)).toEqual(names.map((n) => `About ${n}.`));
    const reqs = emu.chatRequests();
    const limited = reqs.filter((q) => q.status === 429);
    expect(limited).toHaveLength(2); // each request beyond the limit wasted once, none hammered
    expect(reqs).toHaveLength(names.length + 2);
    const firstLimit = Math.min(...limited.map((q) => q.endedAt ?? Infinity));
    const name = nameOf(dir, names);
    // Images 5 and 6 were not started yet (-j 4): they wait for the pause too, though slots freed
    // long before it ended (the answered two finish streaming in about 300 ms).
    const notYetStarted = reqs.filter((q) => name(q) === names[4] || name(q) === names[5]);
    expect(notYetStarted).toHaveLength(2);
    for (const q of notYetStarted) expect(q.startedAt - firstLimit).toBeGreaterThanOrEqual(950);
    for (const q of limited) {
      const retry = reqs.find((o) => o !== q && name(o) === name(q));
      expect(retry!.startedAt - q.endedAt!).toBeGreaterThanOrEqual(950);
    }
    // After the pause, never more than the 2 the API allows: no further 429.
    const after = reqs.filter((q) => q.startedAt >= firstLimit + 950);
    for (const q of after) expect(after.filter((o) => o.startedAt <= q.startedAt && (o.endedAt ?? Infinity) > q.startedAt).length).toBeLessThanOrEqual(2);
    expect(r.stderr).toMatch(/rate limited .*every request waits 1\.00 s, concurrency now 2/);
  });
});
