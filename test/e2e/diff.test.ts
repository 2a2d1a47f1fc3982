// kimi-vision diff, the real bin against the emulator: each way of giving pairs (two files, two
// folders with added and removed files, a Playwright results folder), each format, --expect,
// --threshold, --fail-on and its exit codes, --dry-run without a key, --shard, and usage errors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { aloneAnswerFor, DIFF_REGIONS, diffAnswerFor } from '../emulator/diff-answer.js';
import type { LoggedRequest } from '../emulator/types.js';
import { useEmulator } from '../helpers/emulator.js';
import { ROOT, runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, keys: undefined });
});

const KEY = 'sk-test-diff-0123456789';
const D = 'fixtures/diff';
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
/** The emulator's answer to a pair, as the record carries it. */
const answerOf = (before: string, after: string, expectation?: string) => diffAnswerFor({ before: sha(before), after: sha(after), expectation });
/** The text parts and image hashes of a request's user message, in order. */
const partsOf = (r: LoggedRequest) =>
  ((r.body as any).messages.at(-1).content as any[]).map((p) => (p.type === 'text' ? p.text : /sha256=([0-9a-f]{64})/.exec(p.image_url.url)?.[1]));

describe('diff: the ways of giving pairs', () => {
  it('two files: one request, "Before:" and its image, "After:" and its image, then the instruction; JSON Mode', async () => {
    const r = await kv([`${D}/color/before.png`, `${D}/color/after.png`]);
    expect(r.code).toBe(0);
    const [req, ...more] = emu.chatRequests();
    expect(more).toEqual([]);
    const parts = partsOf(req!);
    expect(parts.slice(0, 4)).toEqual(['Before:', sha(`${D}/color/before.png`), 'After:', sha(`${D}/color/after.png`)]);
    expect(parts[4]).toContain('A pixel comparison found: both are 200x120; 3.68% of the pixels differ, all inside the box x=148, y=92, 43x21 px');
    expect((req!.body as any).response_format).toEqual({ type: 'json_object' });
    const a = answerOf(`${D}/color/before.png`, `${D}/color/after.png`);
    expect(r.stdout).toBe(
      [`==> ${D}/color/before.png -> ${D}/color/after.png <== changed, 3.68% of pixels`, a.summary, ...a.changes.map((c) => `  - ${c.where}: ${c.what} [${c.kind}]`), ''].join(
        '\n',
      ),
    );
    expect(r.stderr).toMatch(/^1 pair compared locally: 1 changed$/m);
    expect(r.stderr).toMatch(/^1 pair to send · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/m);
    expect(r.stderr).toMatch(/^1 pair: 1 changed · [\d,]+ prompt \+ [\d,]+ completion tokens · ¥[\d.]+ · [\d.]+ s$/m);
  });

  it('two folders: pairs by relative path in sorted order; added and removed files reported, not sent; the text file skipped', async () => {
    const r = await kv([`${D}/baseline`, `${D}/current`, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const got = records(r.stdout).map((x) => [x.before, x.after, x.status]);
    expect(got).toEqual([
      [`${D}/baseline/home.png`, `${D}/current/home.png`, 'same'],
      [null, `${D}/current/new-footer.png`, 'added'],
      [`${D}/baseline/old-banner.png`, null, 'removed'],
      [`${D}/baseline/pages/about.png`, `${D}/current/pages/about.png`, 'changed'],
      [`${D}/baseline/settings.png`, `${D}/current/settings.png`, 'changed'],
    ]);
    expect(emu.chatRequests().map((q) => q.images.map((i) => i.sha256))).toEqual([
      [sha(`${D}/baseline/pages/about.png`), sha(`${D}/current/pages/about.png`)],
      [sha(`${D}/baseline/settings.png`), sha(`${D}/current/settings.png`)],
    ]);
    expect(r.stderr).toContain(`skipped 1 file that is not an image: ${D}/baseline/notes.txt`);
    expect(r.stderr).toMatch(/^5 pairs compared locally: 1 same \(not sent\), 2 changed, 1 added, 1 removed; files on one side are not described/m);
    expect(r.stderr).toMatch(/^5 pairs: 2 changed, 1 added, 1 removed, 1 same · /m);
  });

  it('--describe-new: a file on one side is described alone, one image after "Added:" or "Removed:"', async () => {
    const r = await kv([`${D}/baseline`, `${D}/current`, '--describe-new', '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const reqs = emu.chatRequests();
    expect(reqs).toHaveLength(4);
    const alone = reqs.filter((q) => q.images.length === 1).map((q) => partsOf(q).slice(0, 2));
    expect(alone.sort()).toEqual(
      [
        ['Added:', sha(`${D}/current/new-footer.png`)],
        ['Removed:', sha(`${D}/baseline/old-banner.png`)],
      ].sort(),
    );
    const [, added, removed] = records(r.stdout);
    expect(added).toMatchObject({
      status: 'added',
      summary: aloneAnswerFor({ side: 'added', image: sha(`${D}/current/new-footer.png`) }).summary,
      changes: [],
      as_expected: null,
      error: null,
    });
    expect(removed).toMatchObject({ status: 'removed', summary: aloneAnswerFor({ side: 'removed', image: sha(`${D}/baseline/old-banner.png`) }).summary });
    expect(added!.cost.amount).toBeGreaterThan(0);
  });

  it("a Playwright results folder: each test's -expected / -actual pair, its -diff image ignored", async () => {
    const r = await kv([`${D}/test-results`, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const dir = (t: string) => `${D}/test-results/${t}`;
    expect(records(r.stdout).map((x) => [x.before, x.after, x.status, x.pixels_changed, x.bbox])).toEqual([
      [
        `${dir('profile-Profile-avatar-chromium')}/avatar-expected.png`,
        `${dir('profile-Profile-avatar-chromium')}/avatar-actual.png`,
        'changed',
        5,
        { x: 12, y: 70, width: 78, height: 20 },
      ],
      [
        `${dir('settings-Settings-page-chromium')}/settings-expected.png`,
        `${dir('settings-Settings-page-chromium')}/settings-actual.png`,
        'changed',
        3.6833,
        { x: 148, y: 92, width: 43, height: 21 },
      ],
    ]);
    const sent = emu.chatRequests().flatMap((q) => q.images.map((i) => i.sha256));
    expect(sent).not.toContain(sha(`${dir('settings-Settings-page-chromium')}/settings-diff.png`));
    expect(sent).toHaveLength(4);
  });

  it('identical bytes, and identical pixels in another encoding, are the same: nothing is sent', async () => {
    for (const after of [`${D}/same-bytes/after.png`, `${D}/same-pixels/after.webp`, `${D}/same-pixels/after.png`]) {
      const before = after.includes('same-bytes') ? `${D}/same-bytes/before.png` : `${D}/same-pixels/before.png`;
      const r = await kv([before, after, '--format', 'jsonl', '--fail-on', 'changed']);
      expect(r.code, after).toBe(0);
      expect(records(r.stdout)).toMatchObject([{ status: 'same', pixels_changed: 0, bbox: null, summary: '', cost: { amount: 0 } }]);
      expect(r.stderr).toMatch(/^nothing to send$/m);
    }
    expect(emu.chatRequests()).toHaveLength(0);
  });
});

describe('diff: formats', () => {
  it('jsonl: exactly the documented fields, in order, for every status', async () => {
    const r = await kv([`${D}/baseline`, `${D}/current`, '--format', 'jsonl']);
    const fields = ['before', 'after', 'status', 'pixels_changed', 'bbox', 'summary', 'changes', 'as_expected', 'cached', 'usage', 'cost', 'error'];
    for (const x of records(r.stdout)) expect(Object.keys(x)).toEqual(fields);
    const settings = records(r.stdout)[4]!;
    const a = answerOf(`${D}/baseline/settings.png`, `${D}/current/settings.png`);
    expect(settings).toMatchObject({ pixels_changed: 3.6833, summary: a.summary, changes: a.changes, as_expected: null, cached: false, error: null });
    expect(settings.usage.total_tokens).toBe(settings.usage.prompt_tokens + settings.usage.completion_tokens);
    expect(settings.cost).toEqual({ amount: expect.any(Number), currency: 'CNY' });
  });

  it('markdown: a report with before and after side by side, unchanged pairs folded into a count, the counts at the end', async () => {
    const r = await kv([`${D}/baseline`, `${D}/current`, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('## Visual changes\n\n### fixtures/diff/current/new-footer.png · added\n')).toBe(true);
    expect(r.stdout).toContain(`| ![before](${D}/baseline/settings.png) | ![after](${D}/current/settings.png) |`);
    expect(r.stdout).toContain(`${answerOf(`${D}/baseline/settings.png`, `${D}/current/settings.png`).summary}\n`);
    expect(r.stdout).toContain(`| ![before](${D}/baseline/old-banner.png) | _(none)_ |`);
    expect(r.stdout).toContain(`<details><summary>1 unchanged pair</summary>\n\n- ${D}/current/home.png\n\n</details>`);
    expect(r.stdout.endsWith('---\n\n5 pairs: 2 changed, 1 added, 1 removed, 1 same\n')).toBe(true);
    expect(r.stdout).not.toContain('### fixtures/diff/current/home.png');
  });
});

describe('diff --expect and --fail-on', () => {
  const pair = [`${D}/baseline`, `${D}/current`];
  const regions = DIFF_REGIONS.join(', ');

  it('--expect is quoted in the instruction, and each answer says as_expected', async () => {
    const r = await kv([`${D}/moved/before.png`, `${D}/moved/after.png`, '--expect', regions]);
    expect(r.code).toBe(0);
    expect(partsOf(emu.chatRequests()[0]!)[4]).toContain(`Expected change: ${JSON.stringify(regions)}.`);
    expect(r.stdout).toMatch(/\nas expected: yes\n$/);
  });

  it.each([
    { name: 'never (the default)', args: [], code: 0 },
    { name: 'changed', args: ['--fail-on', 'changed'], code: 7 },
    { name: 'unexpected, without --expect', args: ['--fail-on', 'unexpected'], code: 0 },
    { name: 'unexpected, --expect naming every change', args: ['--fail-on', 'unexpected', '--expect', regions], code: 0 },
    { name: 'unexpected, --expect naming none', args: ['--fail-on', 'unexpected', '--expect', 'the logo is bigger'], code: 7 },
  ])('--fail-on $name: exit $code', async ({ args, code }) => {
    const r = await kv([...pair, ...args, '--format', 'jsonl']);
    expect(r.code).toBe(code);
    expect(records(r.stdout)).toHaveLength(5); // the report is whole whatever the verdict
    if (code === 7) expect(r.stderr).toMatch(/^error: check found differences \(--fail-on (changed\): 4 of 5 pairs differ|unexpected\): 2 pairs not as expected): /m);
    else expect(r.stderr).not.toContain('check found differences');
  });

  it('--fail-on changed passes when every pair is the same', async () => {
    const r = await kv([`${D}/same-bytes/before.png`, `${D}/same-bytes/after.png`, '--fail-on', 'changed']);
    expect(r.code).toBe(0);
  });

  it('a failed pair decides the exit code before the verdict (the first failure in pair order)', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'image refused' });
    const r = await kv([...pair, '--fail-on', 'changed', '-j', '1', '--format', 'jsonl']);
    expect(r.code).toBe(5);
    const failed = records(r.stdout).filter((x) => x.status === 'error');
    expect(failed).toEqual([expect.objectContaining({ after: `${D}/current/pages/about.png`, error: expect.objectContaining({ code: 5, type: 'invalid_request_error' }) })]);
    expect(r.stderr).toMatch(/^error: fixtures\/diff\/current\/pages\/about\.png: the API refused an image/m);
    expect(r.stderr).toMatch(/^check found differences \(--fail-on changed\)/m); // said, but not the exit code
  });
});

describe('diff --threshold, --dry-run, --shard', () => {
  it('--threshold: a pair with at most that share of pixels changed is the same, and not sent', async () => {
    const moved = [`${D}/moved/before.png`, `${D}/moved/after.png`]; // 5% changed
    const within = await kv([...moved, '--threshold', '5', '--format', 'jsonl']);
    expect(records(within.stdout)).toMatchObject([{ status: 'same', pixels_changed: 5, summary: '' }]);
    expect(emu.chatRequests()).toHaveLength(0);
    const text = await kv([...moved, '--threshold', '5']);
    expect(text.stdout).toBe(`==> ${moved[0]} -> ${moved[1]} <== same (5% of pixels differ, within --threshold)\n`);
    const over = await kv([...moved, '--threshold', '4.9', '--format', 'jsonl']);
    expect(records(over.stdout)).toMatchObject([{ status: 'changed', pixels_changed: 5 }]);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('--dry-run: what each pair would become and the estimate, with no key; nothing is sent', async () => {
    const env = { MOONSHOT_API_KEY: undefined };
    const r = await kv([`${D}/baseline`, `${D}/current`, '--dry-run', '--describe-new'], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 5).map((l) => l.split('\t').slice(0, 2))).toEqual([
      [`${D}/baseline/home.png -> ${D}/current/home.png`, 'same'],
      [`(none) -> ${D}/current/new-footer.png`, 'added'],
      [`${D}/baseline/old-banner.png -> (none)`, 'removed'],
      [`${D}/baseline/pages/about.png -> ${D}/current/pages/about.png`, 'changed, 2.23% of pixels'],
      [`${D}/baseline/settings.png -> ${D}/current/settings.png`, 'changed, 3.68% of pixels'],
    ]);
    expect(lines[0]).toMatch(/\tnot sent$/);
    expect(lines[4]).toMatch(/\t~[\d,]+ input tokens$/);
    expect(lines[5]).toMatch(/^4 pairs to send · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/);
    const jsonl = await kv([`${D}/baseline`, `${D}/current`, '--dry-run', '--format', 'jsonl'], { env });
    const dry = records(jsonl.stdout);
    expect(dry.map((x) => [x.status, x.send, x.cached])).toEqual([
      ['same', false, false],
      ['added', false, false],
      ['removed', false, false],
      ['changed', true, false],
      ['changed', true, false],
    ]);
    expect(dry[3]!.estimate.input_tokens).toBeGreaterThan(0);
    expect(emu.requests).toHaveLength(0);
  });

  it('--shard i/n: the shards cover every pair once, the same split on every run', async () => {
    const shard = async (s: string) => records((await kv([`${D}/baseline`, `${D}/current`, '--shard', s, '--format', 'jsonl', '-q'])).stdout).map((x) => x.after ?? x.before);
    const [one, two] = [await shard('1/2'), await shard('2/2')];
    expect([...one, ...two].sort()).toEqual(
      records((await kv([`${D}/baseline`, `${D}/current`, '--format', 'jsonl', '-q'])).stdout)
        .map((x) => x.after ?? x.before)
        .sort(),
    );
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
    expect(await shard('1/2')).toEqual(one);
  });

  it.each([
    ['three inputs', [`${D}/color/before.png`, `${D}/color/after.png`, `${D}/text/after.png`]],
    ['one image', [`${D}/color/before.png`]],
    ['a file and a folder', [`${D}/color/before.png`, `${D}/current`]],
    ['--fail-on sometimes', [`${D}/color/before.png`, `${D}/color/after.png`, '--fail-on', 'sometimes']],
    ['--threshold 101', [`${D}/color/before.png`, `${D}/color/after.png`, '--threshold', '101']],
    ['--format json', [`${D}/color/before.png`, `${D}/color/after.png`, '--format', 'json']],
  ])('%s: exit 2, nothing sent', async (_name, args) => {
    const r = await kv(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(emu.requests).toHaveLength(0);
  });

  it('a missing file: exit 3', async () => {
    const r = await kv([`${D}/color/before.png`, `${D}/color/nothing.png`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${D}/color/nothing.png`);
  });
});
