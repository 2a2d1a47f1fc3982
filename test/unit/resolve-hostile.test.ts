// Inputs that change or cannot be read while they are resolved: a walk takes every image it can and
// says what it skipped; a bad input is refused by name (resolveInputs) or kept in its place (streamEach).
import { createHash } from 'node:crypto';
import fs, { copyFileSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { isBadInput, type Input } from '../../src/inputs/bad-input.js';
import { decodeName, fsPath } from '../../src/inputs/file-name.js';
import { ensureHashed } from '../../src/inputs/read.js';
import { resolveInputs, streamEach, type ResolveOptions } from '../../src/inputs/resolve.js';
import { readAll } from '../../src/io.js';
import { bodySource, bodyToString, planBody } from '../../src/request/body.js';

const SMALL = path.join(import.meta.dirname, '..', '..', 'fixtures', 'small.png');
const smallSha = createHash('sha256').update(readFileSync(SMALL)).digest('hex');
let dir: string;
let notes: string[];
const opts = (): ResolveOptions => ({ cwd: dir, readStdin: async () => new Uint8Array(), warn: (l) => notes.push(l) });
const png = (name: string) => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  copyFileSync(SMALL, path.join(dir, name));
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-'));
  notes = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('a directory walk or a glob meets entries it cannot take', () => {
  it('dangling symlinks, symlink loops and a cycle: every image of the folder is still taken, the rest named in one note', async () => {
    for (const n of ['a/1.png', 'a/2.png', 'b/3.png']) png(n);
    symlinkSync('nowhere.png', path.join(dir, 'a', 'dangling.png'));
    symlinkSync('self.png', path.join(dir, 'a', 'self.png'));
    symlinkSync('..', path.join(dir, 'b', 'up')); // a cycle: b/up/b/up/…
    for (const args of [['.'], ['**/*.png']]) {
      notes = [];
      const images = await resolveInputs(args, opts());
      expect(images.map((i) => i.path)).toEqual(['a/1.png', 'a/2.png', 'b/3.png']);
      expect(notes).toEqual([
        expect.stringMatching(/^skipped 2 entries that cannot be read: a\/dangling\.png \(a symbolic link to a missing file\), a\/self\.png \(a symbolic link loop\)$/),
      ]);
    }
  });

  it('a name that is not UTF-8 is listed with its bytes escaped, and read from its exact bytes', async () => {
    png('ok.png');
    const raw = Buffer.concat([Buffer.from(path.join(dir, 'caf')), Buffer.of(0xe9), Buffer.from('.png')]);
    fs.copyFileSync(SMALL, raw);
    const images = await resolveInputs(['.'], opts());
    expect(images.map((i) => i.path)).toEqual(['caf\\xE9.png', 'ok.png']);
    const odd = images[0]!;
    expect(odd.source).toEqual({ kind: 'file', file: decodeName(raw) });
    expect(odd.sha256).toBe(smallSha);
    const body = await bodyToString(planBody({}, [{ role: 'user', content: [{ type: 'media', image: odd }] }]));
    expect(body).toContain(readFileSync(SMALL).toString('base64'));
    expect(notes).toEqual([]);
  });

  it('a file removed between the listing and its stat is skipped with a note; its folder is not lost', async () => {
    for (const n of ['d/1.png', 'd/2.png', 'd/victim.png']) png(n);
    const victim = path.join(dir, 'd', 'victim.png');
    const lstatSync = fs.lstatSync;
    vi.spyOn(fs, 'lstatSync').mockImplementation(((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      if (String(p) === victim) unlinkSync(victim); // another process deletes it right now
      return lstatSync(p, o);
    }) as typeof fs.lstatSync);
    const images = await resolveInputs(['d'], opts());
    expect(images.map((i) => i.path)).toEqual(['d/1.png', 'd/2.png']);
    expect(notes).toEqual(['skipped 1 entry that cannot be read: d/victim.png (gone before it was read)']);
  });

  it('a file removed after it was listed and before it was read is skipped too (a glob); named, it is refused', async () => {
    for (const n of ['1.png', 'victim.png']) png(n);
    const victim = path.join(dir, 'victim.png');
    const lstatSync = fs.lstatSync;
    vi.spyOn(fs, 'lstatSync').mockImplementation(((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      const st = lstatSync(p, o);
      if (String(p) === victim) unlinkSync(victim); // listed and stat'ed: gone before it is opened
      return st;
    }) as typeof fs.lstatSync);
    expect((await resolveInputs(['*.png'], opts())).map((i) => i.path)).toEqual(['1.png']);
    expect(notes).toEqual(['skipped 1 entry that cannot be read: victim.png (gone before it was read)']);
    vi.restoreAllMocks();
    await expect(resolveInputs(['1.png', 'victim.png'], opts())).rejects.toThrow(/^victim\.png: no such file\.$/);
  });

  it('a folder that cannot be opened is noted and the rest is taken (a folder walk)', async () => {
    for (const n of ['1.png', 'locked/2.png']) png(n);
    const opendirSync = fs.opendirSync;
    // (as root, modes do not stop reads: the e2e suite checks the real chmod 000 as another user)
    vi.spyOn(fs, 'opendirSync').mockImplementation(((p: fs.PathLike, o?: fs.OpenDirOptions) => {
      if (String(p).endsWith('locked')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      return opendirSync(p, o);
    }) as typeof fs.opendirSync);
    expect((await resolveInputs(['.'], opts())).map((i) => i.path)).toEqual(['1.png']);
    expect(notes).toEqual(['skipped 1 entry that cannot be read: locked/ (a folder that cannot be opened: permission denied; not searched)']);
  });

  it('a folder that cannot be opened is noted and the rest is taken (a glob)', async () => {
    for (const n of ['1.png', 'locked/2.png']) png(n);
    const readdir = fs.readdir;
    vi.spyOn(fs, 'readdir').mockImplementation(((p: fs.PathLike, o: unknown, cb: (e: NodeJS.ErrnoException | null, n: unknown) => void) => {
      if (String(p).endsWith('locked')) return cb(Object.assign(new Error('EACCES'), { code: 'EACCES' }), undefined);
      return (readdir as unknown as (...a: unknown[]) => void)(p, o, cb);
    }) as unknown as typeof fs.readdir);
    expect((await resolveInputs(['**/*.png'], opts())).map((i) => i.path)).toEqual(['1.png']);
    expect(notes).toEqual(['skipped 1 entry that cannot be read: locked/ (a folder that cannot be opened: permission denied; not searched)']);
  });
});

describe('bad inputs: refused by name, or kept in their place', () => {
  it('streamEach hands each bad input over in its place; resolveInputs throws the first in argument order', async () => {
    png('good.png');
    writeFileSync(path.join(dir, 'notes.png'), 'just text\n');
    writeFileSync(path.join(dir, 'cut.png'), readFileSync(SMALL).subarray(0, 12));
    const fd = openSync(path.join(dir, 'huge.png'), 'w');
    ftruncateSync(fd, 80 * 1024 * 1024); // sparse: over the 100 MB body once encoded
    closeSync(fd);
    const args = ['missing.png', 'good.png', 'notes.png', 'cut.png', 'huge.png', '*.png'];
    const each: Input[] = [];
    await streamEach(args, opts(), (x) => each.push(x));
    expect(each.map((x) => [x.path, isBadInput(x) ? x.error.message : 'image'])).toEqual([
      ['missing.png', 'missing.png: no such file.'],
      ['good.png', 'image'],
      ['notes.png', 'notes.png: not a supported image or video (it looks like text (UTF-8)).'],
      ['cut.png', 'cut.png: not a supported image or video (it looks like a truncated PNG header).'],
      ['huge.png', "huge.png: 80.0 MB is too large; encoded it would be over the API's 100 MB request limit."],
    ]);
    expect(each.filter(isBadInput).every((x) => x.error instanceof InputError && x.file === path.join(dir, x.path))).toBe(true);
    await expect(resolveInputs(args.slice(1), opts())).rejects.toThrow(/^notes\.png: not a supported image/);
    await expect(resolveInputs(args, opts())).rejects.toThrow(/^missing\.png: no such file/);
  });
});

describe('what was read when planned and is gone when sent', () => {
  it('a removed file fails the body as an input error naming it', async () => {
    png('shot.png');
    const [img] = await resolveInputs(['shot.png'], opts());
    const plan = planBody({}, [{ role: 'user', content: [{ type: 'media', image: img! }] }]);
    rmSync(path.join(dir, 'shot.png'));
    const err = await bodyToString(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('shot.png: was removed since the run started.');
    await expect(ensureHashed({ ...img!, sha256: '' })).rejects.toThrow(/shot\.png: was removed since the run started/);
  });

  it('a large body (streamed in pieces) that meets a removed file stops there with the same input error', async () => {
    // 1 MB: over the size sent as one string, so the JSON head goes out before the file is opened.
    writeFileSync(path.join(dir, 'big.png'), Buffer.concat([readFileSync(SMALL), Buffer.alloc(1 << 20)]));
    const [img] = await resolveInputs(['big.png'], opts());
    const plan = planBody({}, [{ role: 'user', content: [{ type: 'media', image: img! }] }]);
    const sent: string[] = [];
    rmSync(path.join(dir, 'big.png'));
    const err = await (async () => {
      for await (const chunk of bodySource(plan).chunks()) sent.push(String(chunk));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('big.png: was removed since the run started.');
    expect(sent.join('')).toMatch(/"url":"data:image\/png;base64,$/);
  });

  it('a path that became a FIFO is refused, never waited on', async () => {
    png('shot.png');
    const [img] = await resolveInputs(['shot.png'], { ...opts(), deferHash: true });
    rmSync(path.join(dir, 'shot.png'));
    (await import('node:child_process')).execFileSync('mkfifo', [path.join(dir, 'shot.png')]);
    const plan = planBody({}, [{ role: 'user', content: [{ type: 'media', image: img! }] }]);
    await expect(bodyToString(plan)).rejects.toThrow(/shot\.png: not a regular file any more \(a FIFO, socket or device\)/);
  });
});

describe('stdin is bounded like a file', () => {
  it('stops reading once past the limit (exit 3), however much more there is', async () => {
    let produced = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          produced += 1;
          yield Buffer.alloc(1024);
        }
      })(),
    );
    const err = await readAll(endless, 10 * 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(3);
    expect(produced).toBeLessThan(40); // stopped near 10 chunks, not read to the end
    expect(Buffer.from(await readAll(Readable.from([Buffer.alloc(10 * 1024)]), 10 * 1024)).length).toBe(10 * 1024);
  });
});

// fsPath is what every read goes through: a raw name reaches the file system as its bytes.
it('fsPath of a listed raw name opens that very file', () => {
  const raw = Buffer.concat([Buffer.from(path.join(dir, 'x')), Buffer.of(0xff)]);
  fs.writeFileSync(raw, 'bytes');
  expect(fs.readFileSync(fsPath(decodeName(raw)), 'utf8')).toBe('bytes');
});
