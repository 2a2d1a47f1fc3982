// kimi-vision alt against the emulator: the patch on stdout applied with git apply and patch -p1
// gives the bytes --write writes; --write leaves a document that changed meanwhile alone; a rerun
// with --cache sends nothing; an image that cannot be read is a finding with its error; the JSONL
// record and the Markdown report.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';
import { altReply, git, read, siteMaker } from '../helpers/alt-site.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: altReply, firstByteDelayMs: 0, keys: undefined });
});
const site = siteMaker();

const KEY = 'sk-test-alt-0123456789';
const kv = (args: string[], o: SpawnOptions = {}) => runBin(['alt', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
const records = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const sha8 = (fixture: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(FIXTURES, fixture)))
    .digest('hex')
    .slice(0, 8);

/** Every kind of document and place an alt text goes, with images that exist. */
const SITE = {
  'docs/guide.md':
    '# Setup\n\nOpen the dialog.\n\n![](img/shot.png "The dialog")\n\n| Step | Screen |\n| --- | --- |\n| 1 | ![image](img/small.png) |\n\n![][logo]\n\n[logo]: img/small.png\n',
  'docs/windows.md': '\uFEFF# Windows\r\n\r\nA CRLF page.\r\n\r\n![](img/shot.png)\r\n',
  'docs/page.html': '<h1>Page</h1>\n<p>Text <img src="img/small.png"> and <img src="img/shot.png" alt="shot"></p>',
  'docs/page.mdx': 'import X from \'./x\'\n\n# MDX\n\n<img src="img/small.png" />\n',
  'docs/ünï cödé.md': '# Ünï\n\n![](img/shot.png)\n',
  'docs/img/shot.png': { fixture: 'screenshot.png' },
  'docs/img/small.png': { fixture: 'small.png' },
};
/** What the emulator answers here: characters that must be escaped in Markdown, tables and attributes. */
const tricky = (ctx: Parameters<typeof altReply>[0]) => `${altReply(ctx)} [x] "q" <b> | & *`;

describe('alt: the patch and --write', () => {
  it('the patch on stdout applies with git apply and patch -p1, and gives exactly the bytes --write writes', async () => {
    emu.set({ reply: tricky });
    const dir = site(SITE, { git: true });
    // (every folder made by site() is removed after the file's tests)
    const [copy, copy2, scratch] = [site({}), site({}), site({})];
    cpSync(dir, copy, { recursive: true });
    cpSync(dir, copy2, { recursive: true });
    const diff = await kv(['docs'], { cwd: dir });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^diff --git a\/docs\/guide\.md b\/docs\/guide\.md\n--- a\/docs\/guide\.md\n\+\+\+ b\/docs\/guide\.md\n@@ /);
    expect(git(dir, 'status', '--porcelain')).toBe(''); // the default writes nothing
    expect(diff.stderr).toMatch(/^the patch holds 8 alt texts for 5 documents$/m);
    const patchFile = path.join(scratch, 'alt.diff');
    writeFileSync(patchFile, diff.stdout);
    git(copy, 'apply', '--check', patchFile);
    git(copy, 'apply', patchFile);
    execFileSync('patch', ['-p1', '--quiet', '-i', patchFile], { cwd: copy2 });

    const written = await kv(['--write', 'docs'], { cwd: dir });
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toMatch(/^wrote 8 alt texts into 5 documents$/m);
    for (const doc of ['guide.md', 'windows.md', 'page.html', 'page.mdx', 'ünï cödé.md']) {
      const want = readFileSync(path.join(dir, 'docs', doc));
      expect(readFileSync(path.join(copy, 'docs', doc)).equals(want), doc).toBe(true);
      expect(readFileSync(path.join(copy2, 'docs', doc)).equals(want), doc).toBe(true);
    }
    const small = sha8('small.png');
    expect(read(dir, 'docs/guide.md')).toContain(`| 1 | ![Alt ${small} in Setup \\[x\\] "q" \\<b> \\| & \\*](img/small.png) |`);
    expect(read(dir, 'docs/guide.md')).toContain(`![Alt ${small} in Setup \\[x\\] "q" \\<b> | & \\*][logo]`);
    expect(read(dir, 'docs/page.html')).toContain(`<img src="img/small.png" alt="Alt ${small} in Page [x] &quot;q&quot; &lt;b&gt; | &amp; *">`);
    expect(read(dir, 'docs/windows.md').startsWith('\uFEFF# Windows\r\n')).toBe(true);
    expect(read(dir, 'docs/windows.md')).toMatch(/\]\(img\/shot\.png\)\r\n$/);
    // The documents are fixed: a check passes now.
    expect((await kv(['--check', 'docs'], { cwd: dir })).code).toBe(0);
  });

  it('--write leaves a document that changed on disk meanwhile as it is (exit 75), and writes the others', async () => {
    emu.set({ firstByteDelayMs: 400 });
    const dir = site({ 'a.md': '# A\n\n![](shot.png)\n', 'b.md': '# B\n\n![](small.png)\n', 'shot.png': { fixture: 'screenshot.png' }, 'small.png': { fixture: 'small.png' } });
    const edited = '# A\n\n![](shot.png)\n\nA line added in an editor meanwhile.\n';
    const r = await kv(['--write', 'a.md', 'b.md', '-j', '2'], {
      cwd: dir,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (emu.inFlight === 0) return;
          clearInterval(poll);
          appendFileSync(path.join(dir, 'a.md'), '\nA line added in an editor meanwhile.\n');
        }, 10);
        child.once('exit', () => clearInterval(poll));
      },
    });
    expect(r.code).toBe(75);
    expect(read(dir, 'a.md')).toBe(edited);
    expect(read(dir, 'b.md')).toBe(`# B\n\n![Alt ${sha8('small.png')} in B](small.png)\n`);
    expect(r.stderr).toMatch(/^error: a\.md: changed on disk since it was read; not written\.$/m);
    expect(r.stderr).toMatch(/^wrote 1 alt text into 1 document$/m);
  });

  it('a rerun with --cache sends nothing and prints the same patch; the cache holds no key', async () => {
    const cacheDir = site({});
    const dir = site(SITE);
    const env = { KIMI_VISION_CACHE_DIR: cacheDir };
    const first = await kv(['docs', '--cache'], { cwd: dir, env });
    expect(first.code).toBe(0);
    const sent = emu.chatRequests().length;
    expect(sent).toBe(8); // 8 places, each its own image or context
    const second = await kv(['docs', '--cache'], { cwd: dir, env });
    expect(second.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(sent);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(/^nothing to send \(8 cached\)$/m);
    const jsonl = await kv(['docs', '--format', 'jsonl'], { cwd: dir, env: { ...env, KIMI_VISION_CACHE: '1' } });
    expect(emu.chatRequests()).toHaveLength(sent);
    expect(records(jsonl.stdout).every((x) => x.cached === true && (x.cost === null || x.cost.amount === 0))).toBe(true);
    const files = readdirSync(cacheDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(sent);
    for (const f of files) expect(readFileSync(path.join(cacheDir, f), 'utf8')).not.toContain(KEY);
  });
});
