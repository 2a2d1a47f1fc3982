// resolveDocuments and readDocument against real folders: a git work tree (ignored paths skipped,
// asked of git itself), node_modules, globs, missing files, and a folder outside git.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { readDocument, resolveDocuments } from '../../src/inputs/documents.js';

let root: string;
let repo: string;
let plain: string;

function tree(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

const FILES = {
  'README.md': '# r\n',
  'docs/a.md': '# a\n',
  'docs/B.MDX': '# b\n',
  'docs/c.html': '<p>c</p>\n',
  'docs/d.htm': '<p>d</p>\n',
  'docs/e.markdown': '# e\n',
  'docs/sp ace.md': '# s\n',
  'docs/notes.txt': 'not a document\n',
  'docs/drafts/x.md': '# ignored by a folder pattern\n',
  'docs/ünï.md': '# ignored by a non-ASCII pattern\n',
  'docs/keep.tmp.md': '# ignored by a file pattern\n',
  'build/out.html': '<p>built</p>\n',
  'node_modules/pkg/README.md': '# a dependency\n',
  '.gitignore': 'build/\ndrafts/\n*.tmp.md\nü*.md\n',
};

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kv-docs-'));
  repo = path.join(root, 'repo');
  plain = path.join(root, 'plain');
  tree(repo, FILES);
  tree(plain, FILES);
  execFileSync('git', ['init', '-q', repo], { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
  symlinkSync(path.join(repo, 'docs', 'a.md'), path.join(repo, 'link-to-a.md'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const names = async (args: string[], cwd: string, git?: string) => {
  const r = await resolveDocuments(args, cwd, git ? { git } : {});
  return { docs: r.documents.map((d) => `${d.shownAs} ${d.kind}`), notes: r.notes };
};

describe('resolveDocuments', () => {
  it('walks a directory: documents of any extension case, sorted; git-ignored paths and node_modules skipped', async () => {
    // link-to-a.md is docs/a.md again: listed once, under the shorter name.
    expect(await names(['.'], repo)).toEqual({
      docs: ['README.md markdown', 'docs/B.MDX mdx', 'docs/a.md markdown', 'docs/c.html html', 'docs/d.htm html', 'docs/e.markdown markdown', 'docs/sp ace.md markdown'],
      notes: [],
    });
  });

  it('takes a file named outright even when git ignores it', async () => {
    expect((await names(['docs/drafts/x.md', 'build/out.html'], repo)).docs).toEqual(['build/out.html html', 'docs/drafts/x.md markdown']);
  });

  it('expands a quoted glob, skipping what git ignores, and reports one that matches nothing', async () => {
    expect(await names(['docs/**/*.md', 'guide/**/*.mdx'], repo)).toEqual({
      docs: ['docs/a.md markdown', 'docs/sp ace.md markdown'],
      notes: ['no document matches guide/**/*.mdx'],
    });
  });

  it('lists a file reached several ways once, under its shortest name', async () => {
    expect((await names(['./docs/a.md', 'docs', 'link-to-a.md', 'docs/../docs/a.md'], repo)).docs).toEqual([
      'docs/B.MDX mdx',
      'docs/a.md markdown',
      'docs/c.html html',
      'docs/d.htm html',
      'docs/e.markdown markdown',
      'docs/sp ace.md markdown',
    ]);
  });

  it('names a missing file, a file that is no document, and an empty argument', async () => {
    const missing = resolveDocuments(['docs/nope.md'], repo);
    await expect(missing).rejects.toThrow(InputError);
    await expect(missing).rejects.toThrow('docs/nope.md: no such file or directory.');
    await expect(resolveDocuments(['docs/nope.md'], repo).catch((e: InputError) => e.exitCode)).resolves.toBe(3);
    await expect(resolveDocuments(['docs/notes.txt'], repo)).rejects.toThrow('docs/notes.txt: not a Markdown, MDX or HTML document.');
    await expect(resolveDocuments([''], repo)).rejects.toThrow(UsageError);
  });

  it('outside a git work tree skips node_modules only, and says nothing about git', async () => {
    const r = await names(['.'], plain);
    expect(r.notes).toEqual([]);
    expect(r.docs).toContain('docs/drafts/x.md markdown');
    expect(r.docs).toContain('build/out.html html');
    expect(r.docs.some((d) => d.includes('node_modules'))).toBe(false);
  });

  it('says so when git is not there, and skips nothing it would have ignored', async () => {
    const r = await names(['docs'], repo, path.join(root, 'no-such-git'));
    expect(r.notes).toEqual(['git is not installed: git-ignored files are not skipped']);
    expect(r.docs).toContain('docs/drafts/x.md markdown');
  });

  it('gives paths relative to the current folder, from a subfolder too', async () => {
    expect((await names(['../README.md', '.'], path.join(repo, 'docs'))).docs.slice(0, 2)).toEqual(['../README.md markdown', 'B.MDX mdx']);
  });
});

describe('readDocument', () => {
  it('keeps a BOM as U+FEFF, so the text encodes back to the same bytes', async () => {
    const bytes = Buffer.from('\uFEFF# t\r\n![](a.png)', 'utf8');
    writeFileSync(path.join(root, 'bom.md'), bytes);
    const doc = await readDocument({ file: path.join(root, 'bom.md'), shownAs: 'bom.md', kind: 'markdown' });
    expect(doc.text.charCodeAt(0)).toBe(0xfeff);
    expect(Buffer.from(doc.text, 'utf8').equals(bytes)).toBe(true);
    expect(Buffer.from(doc.bytes).equals(bytes)).toBe(true);
  });

  it('refuses text that is not UTF-8, and a document over the size limit, naming it', async () => {
    writeFileSync(path.join(root, 'latin1.md'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await expect(readDocument({ file: path.join(root, 'latin1.md'), shownAs: 'latin1.md', kind: 'markdown' })).rejects.toThrow('latin1.md: not UTF-8 text.');
    writeFileSync(path.join(root, 'big.md'), 'x'.repeat(2048));
    await expect(readDocument({ file: path.join(root, 'big.md'), shownAs: 'big.md', kind: 'markdown' }, 1024)).rejects.toThrow(/big\.md: .* over the .* limit/);
    await expect(readDocument({ file: path.join(root, 'gone.md'), shownAs: 'gone.md', kind: 'markdown' })).rejects.toThrow(InputError);
  });
});
