// unifiedDiff: the patch of every corpus document applies with `git apply` and with `patch -p1` and
// gives exactly the bytes applyAltEdits made; it reads as git's own diff of the same change.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAltEdits } from '../../src/alt/edit.js';
import { quotePath, unifiedDiff, unifiedDiffs } from '../../src/alt/patch.js';
import { scanDocument, type DocKind } from '../../src/alt/scan.js';
import { docKindOf } from '../../src/inputs/documents.js';

const CORPUS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'alt');
const DOCS = readdirSync(CORPUS)
  .filter((f) => docKindOf(f))
  .sort();
// git with no user or system configuration of this machine (autocrlf, hooks, a pager).
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_PAGER: 'cat', LC_ALL: 'C' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

const edited = (name: string): { before: string; after: string } => {
  const before = readFileSync(path.join(CORPUS, name), 'utf8');
  const images = scanDocument(before, docKindOf(name) as DocKind).images;
  const after = applyAltEdits(
    before,
    images.map((img, i) => ({ target: img.target, alt: `Alt ${i}: «ü» "q" [b] | <c>` })),
  );
  return { before, after };
};

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'kv-alt-patch-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A repository holding every corpus document under `docs/`, committed. */
function repoWithCorpus(dir: string): void {
  mkdirSync(path.join(dir, 'docs'), { recursive: true });
  for (const name of DOCS) writeFileSync(path.join(dir, 'docs', name), edited(name).before);
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'corpus');
}

describe('unifiedDiff', () => {
  it.each(DOCS)('%s: git apply and patch -p1 give the edited bytes', (name) => {
    const { before, after } = edited(name);
    expect(after).not.toBe(before);
    const diff = unifiedDiff(`docs/${name}`, before, after);
    const dir = mkdtempSync(path.join(work, 'one-'));
    repoWithCorpus(dir);
    const copy = `${dir}-copy`;
    cpSync(dir, copy, { recursive: true });
    writeFileSync(path.join(work, 'p.diff'), diff);
    git(dir, 'apply', '--check', path.join(work, 'p.diff'));
    git(dir, 'apply', path.join(work, 'p.diff'));
    execFileSync('patch', ['-p1', '--quiet', '-i', path.join(work, 'p.diff')], { cwd: copy });
    const want = Buffer.from(after, 'utf8');
    expect(readFileSync(path.join(dir, 'docs', name)).equals(want)).toBe(true);
    expect(readFileSync(path.join(copy, 'docs', name)).equals(want)).toBe(true);
    // git's own diff of the same change is the same text, but for its index line and the optional
    // section name git writes after a hunk's @@ … @@.
    writeFileSync(path.join(copy, 'docs', name), after);
    git(copy, 'add', '.');
    const gits = git(copy, '-c', 'core.quotePath=true', 'diff', '--cached', '--no-color', '--no-ext-diff', '-U3')
      .replace(/^index .*\n/m, '')
      .replace(/^(@@ [^@]* @@).*$/gm, '$1');
    expect(diff).toBe(gits);
  });

  it('one patch for every document at once applies in one go', () => {
    const dir = mkdtempSync(path.join(work, 'all-'));
    repoWithCorpus(dir);
    const patch = unifiedDiffs(DOCS.map((name) => ({ relPath: `docs/${name}`, ...edited(name) })));
    writeFileSync(path.join(work, 'all.diff'), patch);
    git(dir, 'apply', path.join(work, 'all.diff'));
    for (const name of DOCS) expect(readFileSync(path.join(dir, 'docs', name), 'utf8')).toBe(edited(name).after);
  });

  it('is empty when nothing changed', () => {
    expect(unifiedDiff('a.md', 'x\n', 'x\n')).toBe('');
  });

  it('merges hunks whose contexts touch, splits those further apart', () => {
    const lines = (n: number, changed: number[], mark: string) => Array.from({ length: n }, (_, i) => (changed.includes(i + 1) ? `${mark}${i + 1}\n` : `${i + 1}\n`)).join('');
    const hunkCount = (gap: number) => {
      const at = [5, 5 + gap + 1];
      return (unifiedDiff('a.md', lines(30, at, ''), lines(30, at, 'x')).match(/^@@ /gm) ?? []).length;
    };
    expect(hunkCount(6)).toBe(1); // six unchanged lines between: the two contexts of 3 meet
    expect(hunkCount(7)).toBe(2);
  });

  it('marks a side that ends without a newline, and writes hunk ranges as diff does', () => {
    expect(unifiedDiff('a.md', 'a\nb', 'a\nc')).toBe(
      'diff --git a/a.md b/a.md\n--- a/a.md\n+++ b/a.md\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
    );
    expect(unifiedDiff('a.md', 'b\n', 'c\n')).toContain('@@ -1 +1 @@\n-b\n+c\n');
  });
});

describe('quotePath', () => {
  it.each<[string, string, string]>([
    ['a/docs/guide.md', 'a/docs/guide.md', ''],
    ['a/sp ace.md', 'a/sp ace.md', '\t'],
    ['a/été.md', '"a/\\303\\251t\\303\\251.md"', ''],
    ['a/文档.md', '"a/\\346\\226\\207\\346\\241\\243.md"', ''],
    ['a/é ü.md', '"a/\\303\\251 \\303\\274.md"', '\t'],
    ['a/q"u\\o.md', '"a/q\\"u\\\\o.md"', ''],
    ['a/tab\there.md', '"a/tab\\there.md"', ''],
  ])('%j', (p, name, tab) => {
    expect(quotePath(p)).toEqual({ name, tab });
  });
});
