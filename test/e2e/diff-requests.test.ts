// kimi-vision diff, what goes over the wire: the one retry of an answer that fails its check (and
// a pair failed by a second bad one), kimi-k3's json_schema with its reasoning resent in that retry,
// the cache, a run without sharp, the fallback from a default model the key cannot use, --max-cost.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { malformedDiffReply } from '../emulator/diff-answer.js';
import { useEmulator } from '../helpers/emulator.js';
import { ROOT, runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, keys: undefined });
});
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-diff-'));
  temps.push(dir);
  return dir;
};

const KEY = 'sk-test-diff-requests-0123456789';
const D = 'fixtures/diff';
const FOLDERS = [`${D}/baseline`, `${D}/current`];
const sha = (p: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(ROOT, p)))
    .digest('hex');
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['diff', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
const records = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const messagesOf = (i: number) => (emu.chatRequests()[i]!.body as any).messages as any[];

describe('diff: the one retry of an answer that fails its check', () => {
  it('resends the conversation with the bad answer and what was wrong; the second answer is the record', async () => {
    emu.set({ reply: malformedDiffReply(1, 'wrong-kind') });
    const r = await kv([`${D}/moved/before.png`, `${D}/moved/after.png`, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(2);
    const retry = messagesOf(1);
    expect(retry).toHaveLength(3);
    expect(retry[0]).toEqual(messagesOf(0)[0]);
    expect(retry[1]).toMatchObject({ role: 'assistant', content: expect.stringContaining('"kind":"colour"') });
    expect(retry[1].reasoning_content).toBeUndefined(); // kimi-k2.6 without thinking has none to resend
    expect(retry[2]).toEqual({
      role: 'user',
      content: expect.stringMatching(
        /^That answer is wrong: changes\[0\]\.kind is "colour": it must be one of layout, text, color, content, other\. Reply with only the corrected JSON object\.$/,
      ),
    });
    const [record] = records(r.stdout);
    expect(record).toMatchObject({ status: 'changed', error: null });
    expect(record!.changes.every((c: { kind: string }) => c.kind !== 'colour')).toBe(true);
    // The pair's usage is both requests' (one is under 300 prompt tokens).
    expect(record!.usage.prompt_tokens).toBeGreaterThan(2 * 250);
    expect(r.stderr).toMatch(/^fixtures\/diff\/moved\/after\.png: the answer is not the JSON asked for \(changes\[0\]\.kind is "colour": .*\); asking once more\.$/m);
  });

  it('a second bad answer fails that pair with exit 5 (invalid_json); the other pairs are kept', async () => {
    // Every answer about pages/about.png is cut short; the others are whole.
    const about = sha(`${D}/current/pages/about.png`);
    const cut = malformedDiffReply(Infinity, 'cut');
    emu.set({ reply: (ctx) => (ctx.images[1]?.sha256 === about ? cut(ctx) : undefined) });
    const r = await kv([...FOLDERS, '--format', 'jsonl']);
    expect(r.code).toBe(5);
    const got = records(r.stdout);
    expect(got.map((x) => x.status)).toEqual(['same', 'added', 'removed', 'error', 'changed']);
    expect(got[3]!.error).toEqual({
      code: 5,
      type: 'invalid_json',
      message: expect.stringMatching(/^the answer is still not the JSON asked for after one retry: it is not valid JSON/),
    });
    expect(got[4]).toMatchObject({ error: null, summary: expect.any(String) });
    expect(emu.chatRequests()).toHaveLength(3); // about.png twice, settings.png once
    expect(r.stderr).toMatch(/^5 pairs: 1 changed, 1 added, 1 removed, 1 same, 1 failed · /m);
  });

  it('kimi-k3: json_schema, and the retry resends the first answer with its reasoning (the API refuses it without)', async () => {
    emu.set({ reply: malformedDiffReply(1, 'cut') });
    const r = await kv([`${D}/text/before.png`, `${D}/text/after.png`, '-m', 'kimi-k3', '--expect', 'a new title', '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const first = emu.chatRequests()[0]!.body as any;
    expect(first.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'visual_diff', strict: true } });
    expect(first.response_format.json_schema.schema.properties.as_expected).toEqual({ type: 'boolean' });
    expect(first.reasoning_effort).toBe('low');
    const assistant = messagesOf(1)[1];
    expect(assistant.role).toBe('assistant');
    expect(assistant.reasoning_content).toEqual(expect.any(String));
    expect(assistant.reasoning_content.length).toBeGreaterThan(0);
    expect(emu.chatRequests().map((q) => q.status)).toEqual([200, 200]);
    expect(records(r.stdout)[0]).toMatchObject({ status: 'changed', as_expected: expect.any(Boolean), error: null });
  });
});

describe('diff --cache', () => {
  it('a repeated run sends nothing: every answer from the cache, at no cost; another --expect is another question', async () => {
    const env = { KIMI_VISION_CACHE_DIR: tempDir() };
    const first = await kv([...FOLDERS, '--describe-new', '--cache', '--format', 'jsonl'], { env });
    expect(first.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(4);
    emu.reset();
    const second = await kv([...FOLDERS, '--describe-new', '--cache', '--format', 'jsonl'], { env });
    expect(second.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(0);
    const was = records(first.stdout);
    const now = records(second.stdout);
    expect(now.map((x) => [x.status, x.summary, x.changes])).toEqual(was.map((x) => [x.status, x.summary, x.changes]));
    expect(now.map((x) => x.cached)).toEqual([false, true, true, true, true]);
    expect(now.every((x) => x.cost.amount === 0)).toBe(true);
    expect(second.stderr).toMatch(/^nothing to send \(4 cached\)$/m);
    expect(second.stderr).toMatch(/ · 4 from cache · 0 prompt \+ 0 completion tokens · ¥0\.00 · /);
    // KIMI_VISION_CACHE=1 is --cache; an expectation changes the question, so those pairs are sent.
    const expecting = await kv([...FOLDERS, '--describe-new', '--expect', 'a blue Save button', '--format', 'jsonl'], { env: { ...env, KIMI_VISION_CACHE: '1' } });
    expect(expecting.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(2); // the two pairs; the files on one side are asked nothing new
    const files = readdirSync(env.KIMI_VISION_CACHE_DIR, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(6);
    for (const f of files) expect(readFileSync(path.join(env.KIMI_VISION_CACHE_DIR, f), 'utf8')).not.toContain(KEY);
  });
});

describe('diff without sharp (KIMI_VISION_NO_SHARP=1)', () => {
  it('compares bytes only: identical pixels in another file are sent, with no pixel facts; said once, with how to get more', async () => {
    const env = { KIMI_VISION_NO_SHARP: '1' };
    const r = await kv([`${D}/same-pixels/before.png`, `${D}/same-pixels/after.webp`, '--format', 'jsonl'], { env });
    expect(r.code).toBe(0);
    expect(records(r.stdout)).toMatchObject([{ status: 'changed', pixels_changed: null, bbox: null }]);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(emu.chatRequests()[0]!.body).toMatchObject({ messages: [{ content: [{}, {}, {}, {}, { text: expect.stringContaining('the files differ (pixels not compared)') }] }] });
    expect(r.stderr.match(/npm install sharp/g)).toHaveLength(1);
    const folders = await kv([...FOLDERS, '--format', 'jsonl'], { env });
    expect(records(folders.stdout).map((x) => [x.status, x.pixels_changed])).toEqual([
      ['same', 0],
      ['added', null],
      ['removed', null],
      ['changed', null],
      ['changed', null],
    ]);
    expect(folders.stderr.match(/pairs are compared by their bytes only \(KIMI_VISION_NO_SHARP=1 is set\): `npm install sharp`/g)).toHaveLength(1);
  });
});

describe('diff: models and money', () => {
  it('falls back once when the key cannot use the default model, and asks the new model in its own format', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3'] } } });
    const r = await kv([...FOLDERS, '--format', 'jsonl', '-j', '1']);
    expect(r.code).toBe(0);
    const models = emu.chatRequests().map((q) => (q.body as { model: string }).model);
    expect(models).toEqual(['kimi-k2.6', 'kimi-k3', 'kimi-k3']);
    expect((emu.chatRequests()[1]!.body as any).response_format.type).toBe('json_schema');
    expect(records(r.stdout).map((x) => [x.status, x.error])).toEqual([
      ['same', null],
      ['added', null],
      ['removed', null],
      ['changed', null],
      ['changed', null],
    ]);
    expect(r.stderr.match(/kimi-k2\.6 is not available to this key \(404\); using kimi-k3 instead/g)).toHaveLength(1);
  });

  it('a model the user chose is never swapped: its 404 fails the pair (exit 5) and stops the run', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3'] } } });
    const r = await kv([...FOLDERS, '--format', 'jsonl', '-j', '1', '-m', 'kimi-k2.6']);
    expect(r.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(r.stderr).toMatch(/model kimi-k2\.6 is unavailable/);
    expect(r.stderr).toMatch(/stopped \(this failure applies to every image\): 1 of 5 pairs not compared\./);
  });

  it('--max-cost below the estimate: exit 6, nothing sent', async () => {
    const r = await kv([...FOLDERS, '--max-cost', '0']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(emu.requests).toHaveLength(0);
    expect(r.stderr).toMatch(/^error: the estimated cost ¥[\d.]+ of 2 pairs is above --max-cost ¥0\.00; nothing was sent\.$/m);
  });

  it('no key: exit 4 before anything is sent, unless nothing needs sending', async () => {
    const none = await kv(FOLDERS, { env: { MOONSHOT_API_KEY: undefined } });
    expect(none.code).toBe(4);
    const same = await kv([`${D}/same-bytes/before.png`, `${D}/same-bytes/after.png`], { env: { MOONSHOT_API_KEY: undefined } });
    expect(same.code).toBe(0);
    expect(emu.requests).toHaveLength(0);
  });
});
