// diff's inputs -> pairs: two files, two folders by relative path (added / removed), a Playwright
// results folder; non-images skipped with a note; clear errors with the right exit codes.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePairs, type PairEntry } from '../../src/diff/pairs.js';
import { EXIT, KvError } from '../../src/errors.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const FIX = path.join(ROOT, 'fixtures');
const SCREEN = path.join(FIX, 'diff', 'same-bytes', 'before.png');

/** Each entry as [status, name, before path, after path]. */
const rows = (entries: PairEntry[]) => entries.map((e) => [e.status, e.name, e.status === 'added' ? null : e.before.path, e.status === 'removed' ? null : e.after.path]);

/** A temporary folder with these files (relative path -> fixture to copy, or text). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-pairs-'));
  for (const [rel, from] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (from.startsWith('text:')) writeFileSync(path.join(dir, rel), from.slice(5));
    else copyFileSync(path.join(FIX, from), path.join(dir, rel));
  }
  return dir;
}

async function refused(args: string[], cwd: string, code: number, message: RegExp): Promise<void> {
  const err = await resolvePairs(args, cwd).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KvError);
  expect((err as KvError).exitCode).toBe(code);
  expect((err as KvError).message).toMatch(message);
}

describe('two files', () => {
  it('make one pair, paths as given, named by the after image', async () => {
    const p = await resolvePairs(['fixtures/diff/color/before.png', 'fixtures/diff/color/after.png'], ROOT);
    expect(p.mode).toBe('files');
    expect(rows(p.entries)).toEqual([['pair', 'fixtures/diff/color/after.png', 'fixtures/diff/color/before.png', 'fixtures/diff/color/after.png']]);
    expect(p.entries[0]).toMatchObject({ before: { mime: 'image/png', dimensions: { width: 200, height: 120 } } });
    expect(p.notes).toEqual([]);
  });

  it('are sniffed, not judged by name: a JPEG named .png is a JPEG; WebP is taken', async () => {
    const p = await resolvePairs(['fixtures/jpeg-named.png', 'fixtures/diff/same-pixels/after.webp'], ROOT);
    expect(p.entries[0]).toMatchObject({ before: { mime: 'image/jpeg' }, after: { mime: 'image/webp' } });
  });
});

describe('two folders', () => {
  it('pair by relative path, sorted, with added and removed files, and a note for what is not an image', async () => {
    const p = await resolvePairs(['fixtures/diff/baseline', 'fixtures/diff/current'], ROOT);
    expect(p.mode).toBe('folders');
    expect(rows(p.entries)).toEqual([
      ['pair', 'home.png', 'fixtures/diff/baseline/home.png', 'fixtures/diff/current/home.png'],
      ['added', 'new-footer.png', null, 'fixtures/diff/current/new-footer.png'],
      ['removed', 'old-banner.png', 'fixtures/diff/baseline/old-banner.png', null],
      ['pair', 'pages/about.png', 'fixtures/diff/baseline/pages/about.png', 'fixtures/diff/current/pages/about.png'],
      ['pair', 'settings.png', 'fixtures/diff/baseline/settings.png', 'fixtures/diff/current/settings.png'],
    ]);
    expect(p.notes).toEqual(['skipped 1 file that is not an image: fixtures/diff/baseline/notes.txt']);
  });

  it('skip hidden files, videos and refused formats; several skipped files are listed briefly', async () => {
    const a = tree({ 'x.png': 'small.png', '.DS_Store': 'text:junk', 'clip.mp4': 'video.mp4', 'logo.svg': 'bad/drawing.svg', 'scan.tiff': 'bad/scan.tiff', 'n.txt': 'text:hi' });
    const b = tree({ 'x.png': 'small.png' });
    const p = await resolvePairs([a, b], '/');
    expect(rows(p.entries).map((r) => r.slice(0, 2))).toEqual([['pair', 'x.png']]);
    expect(p.notes).toHaveLength(1);
    expect(p.notes[0]).toMatch(/^skipped 4 files that are not images: .*clip\.mp4, .*logo\.svg, .*n\.txt, … \(1 more\)$/);
  });

  it('with images on one side only: all added', async () => {
    const a = tree({ 'notes.txt': 'text:hi' });
    const b = tree({ 'a.png': 'small.png', 'sub/b.png': 'small.png' });
    const p = await resolvePairs([a, b], '/');
    expect(rows(p.entries).map((r) => r.slice(0, 2))).toEqual([
      ['added', 'a.png'],
      ['added', 'sub/b.png'],
    ]);
  });
});

describe('one Playwright results folder', () => {
  it('pairs <name>-expected with <name>-actual in each test folder, ignoring -diff', async () => {
    const p = await resolvePairs(['fixtures/diff/test-results'], ROOT);
    expect(p.mode).toBe('playwright');
    const t = 'fixtures/diff/test-results';
    expect(rows(p.entries)).toEqual([
      ['pair', 'profile-Profile-avatar-chromium/avatar', `${t}/profile-Profile-avatar-chromium/avatar-expected.png`, `${t}/profile-Profile-avatar-chromium/avatar-actual.png`],
      [
        'pair',
        'settings-Settings-page-chromium/settings',
        `${t}/settings-Settings-page-chromium/settings-expected.png`,
        `${t}/settings-Settings-page-chromium/settings-actual.png`,
      ],
    ]);
    expect(p.notes).toEqual([]);
  });

  it('an actual alone is added, an expected alone removed; other images and files are noted', async () => {
    const dir = tree({
      'a-chromium/home-1-expected.png': 'small.png',
      'a-chromium/home-1-actual.png': 'small.png',
      'a-chromium/home-1-diff.png': 'small.png',
      'a-chromium/home-1-previous.png': 'small.png',
      'a-chromium/test-failed-1.png': 'small.png',
      'a-chromium/trace.zip': 'text:PK',
      'b-firefox/new-actual.png': 'small.png',
      'c-webkit/gone-expected.jpg': 'photo.jpg',
    });
    const p = await resolvePairs([dir], '/');
    expect(rows(p.entries).map((r) => r.slice(0, 2))).toEqual([
      ['pair', 'a-chromium/home-1'],
      ['added', 'b-firefox/new'],
      ['removed', 'c-webkit/gone'],
    ]);
    expect(p.notes).toEqual([
      `skipped 1 file that is not an image: ${path.join(dir, 'a-chromium/trace.zip')}`,
      `ignored 1 image that is not part of an -expected/-actual pair: ${path.join(dir, 'a-chromium/test-failed-1.png')}`,
    ]);
  });
});

describe('errors', () => {
  const dir = tree({ 'a.png': 'small.png', 'notes.txt': 'text:hello' });

  it.each([
    [['nope.png', 'a.png'], EXIT.input, /^nope\.png: no such file\.$/],
    [['a.png', 'missing-dir'], EXIT.input, /^missing-dir: no such file\.$/],
    [['a.png', '.'], EXIT.usage, /^a\.png is a file and \. a folder: diff compares two files or two folders\.$/],
    [['.', 'a.png'], EXIT.usage, /^a\.png is a file and \. a folder/],
    [['.'], EXIT.usage, /^no Playwright pairs in \.: no <name>-expected\.<ext> \/ <name>-actual\.<ext> images\.$/],
    [['a.png'], EXIT.usage, /one image is not a pair/],
    [[], EXIT.usage, /not 0 inputs/],
    [['a.png', 'a.png', 'a.png'], EXIT.usage, /not 3 inputs/],
    [['-', 'a.png'], EXIT.usage, /not stdin/],
    [['notes.txt', 'a.png'], EXIT.input, /^notes\.txt: not a supported image or video \(it looks like text \(UTF-8\)\)\.$/],
  ])('%j -> exit %i', async (args, code, message) => {
    await refused(args, dir, code, message);
  });

  it('a video named directly is refused: diff compares images', async () => {
    await refused([path.join(FIX, 'video.mp4'), SCREEN], ROOT, EXIT.input, /video\.mp4: a video; diff compares images\./);
  });

  it('two folders without any image', async () => {
    const a = tree({ 'x.txt': 'text:x' });
    const b = tree({});
    await refused([a, b], '/', EXIT.usage, /^no images in /);
  });

  it('reads only the head of each file: hashing waits for the comparison', async () => {
    const a = tree({});
    writeFileSync(path.join(a, 'big.png'), Buffer.concat([readFileSync(SCREEN), Buffer.alloc(1024 * 1024)]));
    const p = await resolvePairs([a, a], '/');
    const e = p.entries[0] as Extract<PairEntry, { status: 'pair' }>;
    expect(e.before).toMatchObject({ mime: 'image/png', bytes: 3136 + 1024 * 1024, sha256: '' });
  });
});
