// A folder named on the command line is walked by walkFolder, a glob by fast-glob (listFiles): the
// same tree must give the same files, sizes and problems either way.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nameBytes } from '../../src/inputs/file-name.js';
import { type ListedFiles, listFiles, walkFolder } from '../../src/inputs/walk.js';

let dir: string;
const put = (name: string, bytes = 3) => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), Buffer.alloc(bytes, 1));
};
const asRows = (files: ListedFiles) => files.paths.map((p, i) => `${p} ${files.size(i)}`);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kv-walk-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('walkFolder finds what the glob **/* finds', () => {
  it('nested folders, hidden names, symlinks to files and folders, a dangling link, a cycle, a FIFO and a name that is not UTF-8', async () => {
    put('b.png', 5);
    put('a/2.png', 7);
    put('a/10.png', 1);
    put('a/deep/er/x.jpg', 2);
    put('.hidden.png');
    put('.git/objects/y.png');
    put('a/.cache/z.png');
    symlinkSync('b.png', path.join(dir, 'link-to-b.png'));
    symlinkSync('a', path.join(dir, 'link-to-a'));
    symlinkSync('missing.png', path.join(dir, 'a', 'dangling.png'));
    symlinkSync('..', path.join(dir, 'a', 'up'));
    execFileSync('mkfifo', [path.join(dir, 'a', 'pipe')]);
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.of(0xe9), Buffer.from('.png')]), 'xy');
    const walked = await walkFolder(dir);
    const globbed = await listFiles('**/*', dir);
    expect(asRows(walked.files)).toEqual(asRows(globbed.files));
    expect(walked.problems).toEqual(globbed.problems);
    expect(asRows(walked.files)).toEqual([
      'a/10.png 1',
      'a/2.png 7',
      'a/deep/er/x.jpg 2',
      'b.png 5',
      `caf\udce9.png 2`,
      'link-to-a/10.png 1',
      'link-to-a/2.png 7',
      'link-to-a/deep/er/x.jpg 2',
      'link-to-b.png 5',
    ]);
    expect(walked.problems).toEqual([
      { file: path.join(dir, 'a', 'dangling.png'), code: 'ENOENT', link: true, folder: false },
      { file: path.join(dir, 'link-to-a', 'dangling.png'), code: 'ENOENT', link: true, folder: false },
    ]);
    expect(nameBytes(walked.files.paths[4] as string).at(3)).toBe(0xe9);
    // Which paths have no symlink below the root (their real path is the root's and the path): not
    // what a symlinked folder leads to, nor a symlink to a file.
    const plain = walked.files.paths.filter((_, i) => walked.files.isPlain(i));
    expect(plain).toEqual(['a/10.png', 'a/2.png', 'a/deep/er/x.jpg', 'b.png', `caf\udce9.png`]);
  });

  it('a folder of more entries than one batch and one slice, read in order and sorted', async () => {
    const names = Array.from({ length: 1300 }, (_, i) => `f-${String(1299 - i).padStart(4, '0')}.png`);
    for (const n of names) put(n, 1);
    const walked = await walkFolder(dir);
    expect(walked.files.length).toBe(1300);
    expect(walked.files.paths).toEqual([...names].sort());
    expect(asRows(walked.files)).toEqual(asRows((await listFiles('**/*', dir)).files));
  });

  it('a root that is not there is a folder problem only when it is not simply gone', async () => {
    const gone = await walkFolder(path.join(dir, 'nope'));
    expect(gone.files.length).toBe(0);
    expect(gone.problems).toEqual([]);
  });
});
