// kimi-vision alt without requests, the real bin: --check on the corpus (its lines, sorted, exit 7)
// and on a clean folder (exit 0), its jsonl and markdown, --dry-run, and the usage errors. None of
// these needs a key, and the emulator must see nothing.
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { ROOT, runBin, type SpawnOptions } from '../helpers/cli.js';
import { siteMaker } from '../helpers/alt-site.js';

const emu = useEmulator();
beforeEach(() => emu.reset());
const site = siteMaker();

/** alt with no key at all, against the emulator (which must see nothing). */
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['alt', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: undefined, ...o.env } });
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('alt --check', () => {
  it('lists every finding of the corpus as path:line:column: src: why, sorted; exit 7; nothing sent', async () => {
    const r = await kv(['--check', 'fixtures/alt']);
    expect(r.code).toBe(7);
    const got = lines(r.stdout);
    expect(got).toHaveLength(49);
    const place = (l: string) => /^(.*?):(\d+):(\d+): /.exec(l)!.slice(1);
    const sorted = [...got].sort((a, b) => {
      const [pa, la, ca] = place(a);
      const [pb, lb, cb] = place(b);
      return pa! < pb! ? -1 : pa! > pb! ? 1 : Number(la) - Number(lb) || Number(ca) - Number(cb);
    });
    expect(got).toEqual(sorted);
    expect(r.stderr).toMatch(/^15 documents: 64 images, 49 without alt text \(39 missing, 4 generic, 6 file-name\)$/m);
    expect(r.stderr).toMatch(/^error: check found images without alt text \(49 images in 15 documents\)\.$/m);
    expect(r.stderr).toContain('fixtures/alt/page.mdx:12:1: <img src={…}>: the source is an expression, not a literal; skipped');
    expect(emu.requests).toHaveLength(0);
  });

  it('says why each one is missing: no alt, a generic word, the file name; decorative alt="" and code are not findings', async () => {
    const r = await kv(['--check', 'fixtures/alt/page.html', 'fixtures/alt/references.md', 'fixtures/alt/ünïcödé 文档.md']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe(
      [
        'fixtures/alt/page.html:17:16: home.png: generic alt "image"',
        'fixtures/alt/page.html:18:1: multi-line.png: missing alt text',
        'fixtures/alt/page.html:25:1: spaces.png: missing alt text',
        'fixtures/alt/references.md:5:1: img/logo.png: missing alt text',
        'fixtures/alt/references.md:5:11: img/an icon.png: file-name alt "An icon"',
        'fixtures/alt/references.md:5:28: img/logo.png: file-name alt "logo"',
        'fixtures/alt/references.md:5:38: img/logo.png: file-name alt "Logo"',
        'fixtures/alt/references.md:7:2: img/logo.png: missing alt text',
        'fixtures/alt/ünïcödé 文档.md:3:16: 图片/截图.png: missing alt text',
        'fixtures/alt/ünïcödé 文档.md:5:5: emoji-before.png: missing alt text',
        'fixtures/alt/ünïcödé 文档.md:7:1: 图片/截图.png: file-name alt "截图.png"',
        '',
      ].join('\n'),
    );
  });

  it('exit 0 and nothing on stdout when every image has alt text (alt="" is decorative, code is no image)', async () => {
    const dir = site({
      'docs/a.md': '# A\n\n![A settings dialog](shot.png)\n\n```\n![](in-code.png)\n```\n\n`![](inline.png)` <!-- ![](comment.png) -->\n',
      'docs/b.html': '<p><img src="x.png" alt=""> <img src="y.png" alt="A chart of sales"></p>\n',
      'docs/node_modules/dep/README.md': '![](skipped.png)\n',
    });
    const r = await kv(['--check', 'docs'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('2 documents: 3 images, none without alt text\n');
  });

  it('--format jsonl: one record per finding, nothing read or sent; --format markdown: the report without new alt texts', async () => {
    const docs = ['fixtures/alt/page.html'];
    const jsonl = await kv(['--check', ...docs, '--format', 'jsonl']);
    expect(jsonl.code).toBe(7);
    const records = lines(jsonl.stdout).map((l) => JSON.parse(l));
    expect(records[0]).toEqual({
      doc: 'fixtures/alt/page.html',
      line: 17,
      column: 16,
      src: 'home.png',
      image_sha256: null,
      old_alt: 'image',
      alt: null,
      reason: 'generic',
      cached: false,
      usage: null,
      cost: null,
      error: null,
    });
    expect(records.map((x) => [x.line, x.reason, x.old_alt])).toEqual([
      [17, 'generic', 'image'],
      [18, 'missing', null],
      [25, 'missing', ' '],
    ]);
    const md = await kv(['--check', ...docs, '--format', 'markdown']);
    expect(md.code).toBe(7);
    expect(md.stdout).toBe(
      [
        '## Images without alt text',
        '',
        '3 images without alt text in 1 of 1 document.',
        '',
        '### fixtures/alt/page.html',
        '',
        '| Line | Image | Why | Alt text |',
        '| --: | --- | --- | --- |',
        '| 17:16 | [home.png](fixtures/alt/home.png) | generic | image |',
        '| 18:1 | [multi-line.png](fixtures/alt/multi-line.png) | missing | _(none)_ |',
        '| 25:1 | [spaces.png](fixtures/alt/spaces.png) | missing | _(empty)_ |',
        '',
      ].join('\n'),
    );
    expect(emu.requests).toHaveLength(0);
  });

  it('a document that cannot be read is its own failure (exit 3 comes before 7); the others are checked', async () => {
    const dir = site({ 'a.md': '![](x.png)\n', 'b.md': Buffer.from([0x41, 0xff, 0x0a]) });
    const r = await kv(['--check', 'a.md', 'b.md'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('a.md:1:1: x.png: missing alt text\n');
    expect(r.stderr).toMatch(/^error: b\.md: not UTF-8 text\.$/m);
  });
});

describe('alt --dry-run', () => {
  it('what would be captioned and what it costs, with no key; the same image in one paragraph is one request', async () => {
    const dir = site({
      'docs/guide.md': '# Setup\n\nOpen the dialog ![](img/shot.png) and again ![](./img/shot.png).\n\n![](img/small.png)\n\n![](img/gone.png)\n',
      'docs/img/shot.png': { fixture: 'screenshot.png' },
      'docs/img/small.png': { fixture: 'small.png' },
    });
    const r = await kv(['--dry-run', 'docs'], { cwd: dir });
    expect(r.code).toBe(3); // the missing image: its failure, as a run would have it
    const got = lines(r.stdout);
    expect(got.slice(0, 4).map((l) => l.replace(/~[\d,]+/, '~N'))).toEqual([
      'docs/guide.md:3:17: img/shot.png\tmissing\t~N input tokens',
      'docs/guide.md:3:45: ./img/shot.png\tmissing\tthe alt text of docs/guide.md:3:17',
      'docs/guide.md:5:1: img/small.png\tmissing\t~N input tokens',
      'docs/guide.md:7:1: img/gone.png\tmissing\tcannot be read',
    ]);
    expect(got[4]).toMatch(/^2 images to send · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/);
    expect(r.stderr).toMatch(/^error: docs\/guide\.md:7:1: docs\/img\/gone\.png: no such file\.$/m);
    const jsonl = await kv(['--dry-run', 'docs', '--format', 'jsonl'], { cwd: dir });
    const first = JSON.parse(lines(jsonl.stdout)[0]!);
    expect(Object.keys(first)).toEqual(['doc', 'line', 'column', 'src', 'image_sha256', 'reason', 'send', 'cached', 'estimate', 'error']);
    expect(lines(jsonl.stdout).map((l) => JSON.parse(l).send)).toEqual([true, false, true, false]);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('alt: usage', () => {
  it.each([
    [['--check', '--write', 'fixtures/alt/bom.md'], /--check and --write cannot be combined/],
    [['--lang', 'not a code!', 'fixtures/alt/bom.md'], /--lang not a code!: not a language code/],
    [['--dry-run', '--format', 'markdown', 'fixtures/alt/bom.md'], /--dry-run prints a list/],
    [['--root', 'nowhere', 'fixtures/alt/bom.md'], /--root nowhere: not a folder/],
    [['fixtures/alt/*.txt'], /no document matched/],
  ])('%j: exit 2', async (args, message) => {
    const r = await kv(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(emu.requests).toHaveLength(0);
  });

  it('a patch cannot name a document outside the current folder: exit 2 before anything is read or sent', async () => {
    const r = await kv(['../alt/bom.md'], { cwd: path.join(ROOT, 'fixtures', 'diff'), env: { MOONSHOT_API_KEY: 'sk-test-alt-0123456789' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: \.\.\/alt\/bom\.md: outside the current folder, so a patch \(a\/… b\/… paths\) cannot name it\.$/m);
    expect(emu.requests).toHaveLength(0);
  });
});
