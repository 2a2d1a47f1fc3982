// kimi-vision alt against the emulator, what is asked and what comes back: one request per image
// and context, the page text, the length and the language in the prompt, answers over --max-chars,
// remote images (served from 127.0.0.1) and --no-remote, images that cannot be read, the JSONL
// record and the Markdown report, and the fallback from a default model the key cannot use.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';
import { altReply, promptOf, read, siteMaker } from '../helpers/alt-site.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: altReply, keys: undefined });
});
const site = siteMaker();

const KEY = 'sk-test-alt-0123456789';
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['alt', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
const records = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const sha = (fixture: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(FIXTURES, fixture)))
    .digest('hex');
const prompts = () => emu.chatRequests().map((q) => promptOf(q.body));

describe('alt: what is asked', () => {
  it('the same image twice in one paragraph is captioned once; under another heading, again; each place gets its alt text', async () => {
    const doc = '# Setup\n\nThe dialog ![](shot.png) and once more ![](./shot.png).\n\n# Later\n\nThe same dialog elsewhere: ![](shot.png)\n';
    const dir = site({ 'a.md': doc, 'shot.png': { fixture: 'screenshot.png' } });
    const r = await kv(['a.md', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(prompts()).toHaveLength(2);
    expect(prompts()[0]).toContain('"""\nSection: Setup\nThe dialog and once more .\n"""');
    expect(prompts()[1]).toContain('Section: Later');
    const got = records(r.stdout);
    const s8 = sha('screenshot.png').slice(0, 8);
    expect(got.map((x) => x.alt)).toEqual([`Alt ${s8} in Setup`, `Alt ${s8} in Setup`, `Alt ${s8} in Later`]);
    // Usage and cost on the place that paid for the request; the second place shares it.
    expect(got.map((x) => x.usage === null)).toEqual([false, true, false]);
    expect(got[0]!.cost.amount).toBeGreaterThan(0);
  });

  it('the prompt asks for --max-chars (default 125) and the language of the text around the image; --lang sets it', async () => {
    const dir = site({
      'de.md': '# Einstellungen\n\nDer Dialog zeigt die Einstellungen, die Sie für das Speichern der Dateien ändern können.\n\n![](shot.png)\n',
      'zh.md': '# 设置\n\n这个对话框显示保存文件时可以更改的设置。\n\n![](shot.png)\n',
      'shot.png': { fixture: 'screenshot.png' },
    });
    await kv(['de.md', 'zh.md'], { cwd: dir });
    expect(prompts().map((p) => /at most (\d+) characters, in (\w+),/.exec(p)?.slice(1))).toEqual([
      ['125', 'German'],
      ['125', 'Chinese'],
    ]);
    emu.reset();
    await kv(['de.md', 'zh.md', '--lang', 'fr', '--max-chars', '80', '-p', 'Describe the chart for a blind reader.'], { cwd: dir });
    expect(prompts().map((p) => /at most (\d+) characters, in (\w+),/.exec(p)?.slice(1))).toEqual([
      ['80', 'French'],
      ['80', 'French'],
    ]);
    expect(prompts().every((p) => p.startsWith('Describe the chart for a blind reader.\n'))).toBe(true);
  });

  it('an answer over --max-chars fails its image (exit 5, nothing written for it); the paid answer keeps its usage', async () => {
    const long = 'A settings dialog with a long list of options about saving files, folders, names and formats, described at length.';
    emu.set({ reply: () => long });
    const dir = site({ 'a.md': '# A\n\n![](shot.png)\n', 'shot.png': { fixture: 'screenshot.png' } });
    const r = await kv(['a.md', '--max-chars', '40', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(5);
    const [rec] = records(r.stdout);
    expect(rec).toMatchObject({ alt: null, error: { code: 5, type: 'too_long', message: `the alt text is ${long.length} characters, over the limit of 40.` } });
    expect(rec!.usage.completion_tokens).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^error: a\.md:3:1: shot\.png: the alt text is \d+ characters, over the limit of 40\.$/m);
    const diff = await kv(['a.md', '--max-chars', '40'], { cwd: dir });
    expect(diff.stdout).toBe('');
    expect(diff.stderr).toMatch(/^nothing to change: the patch is empty$/m);
  });
});

describe('alt: images that are not files here', () => {
  it('a remote image is downloaded (from 127.0.0.1) and captioned; --no-remote leaves it alone and sends nothing', async () => {
    const url = emu.downloadUrl('small.png');
    const dir = site({ 'a.md': `# A\n\n![](${url})\n` });
    const r = await kv(['a.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(emu.chatRequests().map((q) => q.images.map((i) => i.sha256))).toEqual([[sha('small.png')]]);
    expect(r.stdout).toContain(`+![Alt ${sha('small.png').slice(0, 8)} in A](${url})`);
    emu.reset();
    const none = await kv(['a.md', '--no-remote', '--format', 'jsonl'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(emu.requests).toHaveLength(0);
    expect(records(none.stdout)).toMatchObject([{ src: url, alt: null, error: null, image_sha256: null }]);
    expect(none.stderr).toMatch(/^1 remote image is left as it is \(--no-remote\)\.$/m);
  });

  it('an image that cannot be read (missing, not an image, a failed download) is a finding with its error; the rest is done (exit 3)', async () => {
    const nope = emu.downloadUrl('nope.png');
    const dir = site({
      'a.md': `# A\n\n![](gone.png) ![](notes.png) ![](${nope}) ![](small.png)\n`,
      'notes.png': 'just text\n',
      'small.png': { fixture: 'small.png' },
    });
    const r = await kv(['a.md', '--format', 'jsonl'], { cwd: dir });
    expect(r.code).toBe(3);
    const got = records(r.stdout);
    expect(got.map((x) => [x.src.replace(/^http.*\//, 'http…/'), x.error?.type ?? null, x.alt === null])).toEqual([
      ['gone.png', 'bad_input', true],
      ['notes.png', 'bad_input', true],
      ['http…/nope.png', 'bad_input', true],
      ['small.png', null, false],
    ]);
    expect(got[0]!.error.message).toBe('gone.png: no such file.');
    expect(got[1]!.error.message).toMatch(/^notes\.png: not a supported image or video \(it looks like/);
    expect(got[2]!.error.message).toMatch(/the server answered HTTP 404\.$/);
    expect(emu.chatRequests()).toHaveLength(1);
    const diff = await kv(['a.md'], { cwd: dir });
    expect(diff.code).toBe(3);
    expect(diff.stdout).toContain(`\n+![](gone.png) ![](notes.png) ![](${nope}) ![Alt ${sha('small.png').slice(0, 8)} in A](small.png)\n`);
  });
});

describe('alt: records, report, models', () => {
  it('the JSONL record has its fields in the documented order; the Markdown report has a section per document', async () => {
    const dir = site({
      'docs/a.md': '# A\n\n![image](img/small.png)\n',
      'docs/b.html': '<p><img src="img/small.png" alt="fine"></p>\n',
      'docs/img/small.png': { fixture: 'small.png' },
    });
    const r = await kv(['docs', '--format', 'jsonl', '--all'], { cwd: dir });
    expect(r.code).toBe(0);
    const got = records(r.stdout);
    expect(Object.keys(got[0]!)).toEqual(['doc', 'line', 'column', 'src', 'image_sha256', 'old_alt', 'alt', 'reason', 'cached', 'usage', 'cost', 'error']);
    expect(got.map((x) => [x.doc, x.reason, x.old_alt])).toEqual([
      ['docs/a.md', 'generic', 'image'],
      ['docs/b.html', 'all', 'fine'],
    ]);
    expect(got[0]).toMatchObject({ image_sha256: sha('small.png'), cached: false, error: null, cost: { currency: 'CNY' } });
    const md = await kv(['docs', '--format', 'markdown'], { cwd: dir });
    const s8 = sha('small.png').slice(0, 8);
    expect(md.stdout).toBe(
      [
        '## Alt text',
        '',
        '1 alt text proposed for 1 document.',
        '',
        '### docs/a.md',
        '',
        '| Line | Image | Why | Old alt text | New alt text |',
        '| --: | --- | --- | --- | --- |',
        `| 3:1 | [img/small.png](docs/img/small.png) | generic | image | Alt ${s8} in A |`,
        '',
      ].join('\n'),
    );
    expect(read(dir, 'docs/a.md')).toBe('# A\n\n![image](img/small.png)\n'); // nothing written
  });

  it('falls back once when the key cannot use the default model; a model the user chose is never swapped', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3'] } } });
    const dir = site({ 'a.md': '# A\n\n![](small.png)\n\n# B\n\n![](small.png)\n', 'small.png': { fixture: 'small.png' } });
    const r = await kv(['a.md', '-j', '1'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(emu.chatRequests().map((q) => (q.body as { model: string }).model)).toEqual(['kimi-k2.6', 'kimi-k3', 'kimi-k3']);
    expect(r.stderr.match(/kimi-k2\.6 is not available to this key \(404\); using kimi-k3 instead/g)).toHaveLength(1);
    expect(r.stdout.match(/^\+!\[Alt /gm)).toHaveLength(2);
    emu.reset();
    const chosen = await kv(['a.md', '-j', '1', '-m', 'kimi-k2.6'], { cwd: dir });
    expect(chosen.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(1);
    expect(chosen.stderr).toMatch(/stopped \(this failure applies to every image\): 1 of 2 images not captioned; 1 document was left as it was\./);
  });
});
