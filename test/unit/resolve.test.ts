// Path and glob resolution: order, de-duplication and errors, with property tests over random trees.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ensureHashed } from '../../src/inputs/read.js';
import { expandArgs } from '../../src/inputs/expand.js';
import { resolveInputs } from '../../src/inputs/resolve.js';
import { bodySource, bodyToString, planBody } from '../../src/request/body.js';
import { InputError, UsageError } from '../../src/errors.js';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures');
const SMALL = path.join(FIXTURES, 'small.png');
const noStdin = async () => new Uint8Array();

describe('expandArgs', () => {
  it('keeps argument order, sorts each glob, and drops repeats of the same file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    for (const n of ['b.png', 'a.png', 'c.jpg']) copyFileSync(SMALL, path.join(dir, n));
    const planned = (await expandArgs(['c.jpg', '*.png', 'a.png', '-'], dir)).planned.toArray();
    expect(planned.map((p) => (p.kind === 'file' ? p.shownAs : p.kind))).toEqual(['c.jpg', 'a.png', 'b.png', 'stdin']);
  });

  it('a folder whose subfolder is a symlink into another folder given: each file planned once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    try {
      mkdirSync(path.join(dir, 'shots', 'deep'), { recursive: true });
      copyFileSync(SMALL, path.join(dir, 'shots', 'deep', 'x.png'));
      mkdirSync(path.join(dir, 'top'));
      copyFileSync(SMALL, path.join(dir, 'top', 'own.png'));
      symlinkSync('../shots', path.join(dir, 'top', 'alias'));
      const planned = (await expandArgs(['top', 'shots', 'shots/deep/x.png'], dir)).planned.toArray();
      // Met first through the link, kept there under its shortest name.
      expect(planned.map((p) => (p.kind === 'file' ? p.shownAs : p.kind))).toEqual(['shots/deep/x.png', 'top/own.png']);
      // Given through a symlinked parent, the walk's root: the files below it are the real folder's.
      symlinkSync('shots', path.join(dir, 'via'));
      const again = (await expandArgs(['shots', 'via'], dir)).planned.toArray();
      expect(again.map((p) => (p.kind === 'file' ? p.shownAs : p.kind))).toEqual(['via/deep/x.png']); // once, under the shorter name
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one file reached as itself, through a symlinked folder, through a symlink to it and by name is planned once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    try {
      mkdirSync(path.join(dir, 'real'));
      copyFileSync(SMALL, path.join(dir, 'real', 'a.png'));
      copyFileSync(SMALL, path.join(dir, 'real', 'b.png'));
      symlinkSync('real', path.join(dir, 'via'));
      mkdirSync(path.join(dir, 'links'));
      symlinkSync('../real/a.png', path.join(dir, 'links', 'to-a.png'));
      const planned = (await expandArgs(['via', 'links', 'real', 'real/b.png'], dir)).planned.toArray();
      // The first way each file was reached keeps its place, under the shortest of its names.
      expect(planned.map((p) => (p.kind === 'file' ? p.shownAs : p.kind))).toEqual(['via/a.png', 'via/b.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which input is wrong', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-resolve-'));
    const planned = (await expandArgs(['nope.png'], dir)).planned.toArray();
    expect(planned).toEqual([expect.objectContaining({ kind: 'bad', shownAs: 'nope.png', error: expect.any(InputError) })]);
    await expect(resolveInputs(['nope.png'], { cwd: dir, readStdin: noStdin })).rejects.toThrow(/nope\.png: no such file/);
    await expect(expandArgs(['*.nope'], dir)).rejects.toThrow(UsageError);
    await expect(expandArgs([''], dir)).rejects.toThrow(/empty string/);
    await expect(resolveInputs(['-', '-'], { cwd: dir, readStdin: async () => readFileSync(SMALL) })).rejects.toThrow(/more than once/);
  });

  it('any tree and any mix of names, globs and directories: every file once, nothing invented, a full glob finds all', async () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,3}(\/[a-z]{1,3})?$/), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(names, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (files, picks) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'kv-prop-'));
        try {
          const made: string[] = [];
          for (const f of files) {
            const rel = `${f}.png`;
            mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            try {
              copyFileSync(SMALL, path.join(dir, rel));
              made.push(rel);
            } catch {
              // a name that is also a directory: skip it
            }
          }
          if (made.length === 0) return;
          const args = picks.map((p, i) => (i % 3 === 2 ? '**/*.png' : i % 3 === 1 ? path.dirname(made[p % made.length]!) : made[p % made.length]!));
          const planned = (await expandArgs(args, dir)).planned.toArray();
          const shown = planned.map((p) => (p.kind === 'file' ? p.file : ''));
          expect(new Set(shown).size).toBe(shown.length); // no file twice
          for (const f of shown) expect(made.map((m) => path.join(dir, m))).toContain(f); // nothing invented
          if (args.includes('**/*.png')) expect(shown.length).toBe(made.length); // a full glob finds all
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('resolveInputs with convert (resize options given)', () => {
  it('takes TIFF as image/tiff only then; a directory skips it otherwise', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-convert-'));
    try {
      copyFileSync(SMALL, path.join(dir, 'a.png'));
      copyFileSync(path.join(path.dirname(SMALL), 'bad', 'scan.tiff'), path.join(dir, 'b.tiff'));
      await expect(resolveInputs(['b.tiff'], { cwd: dir, readStdin: noStdin })).rejects.toThrow(/b\.tiff: not a supported image or video \(it looks like a TIFF image\)/);
      const [tiff] = await resolveInputs(['b.tiff'], { cwd: dir, readStdin: noStdin, convert: true });
      expect(tiff).toMatchObject({ path: 'b.tiff', mime: 'image/tiff', kind: 'image', dimensions: undefined });
      const warned: string[] = [];
      const plain = await resolveInputs(['.'], { cwd: dir, readStdin: noStdin, warn: (l) => warned.push(l) });
      expect(plain.map((i) => i.mime)).toEqual(['image/png']);
      expect(warned.join('\n')).toMatch(/skipped 1 file .*b\.tiff/);
      const converting = await resolveInputs(['.'], { cwd: dir, readStdin: noStdin, convert: true });
      expect(converting.map((i) => i.mime)).toEqual(['image/png', 'image/tiff']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolveInputs with deferHash (one request sent at once)', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  /** A PNG of `size` bytes: small.png's bytes and then padding, so it sniffs and measures as small.png. */
  const bigPng = (dir: string, size: number) => {
    const file = path.join(dir, 'big.png');
    const data = Buffer.alloc(size);
    readFileSync(path.join(FIXTURES, 'small.png')).copy(data);
    writeFileSync(file, data);
    return { file, data };
  };

  it('hashes no file before sending it, and each as it is sent: the hash of the bytes sent, the file not read again', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-defer-'));
    const big = bigPng(dir, 3 * 1024 * 1024 + 7);
    copyFileSync(path.join(FIXTURES, 'small.png'), path.join(dir, 'small.png'));
    const images = await resolveInputs(['big.png', 'small.png'], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash: true });
    expect(images.map((i) => [i.path, i.mime, i.bytes, i.dimensions])).toEqual([
      ['big.png', 'image/png', big.data.length, { width: 32, height: 24 }],
      ['small.png', 'image/png', 309, { width: 32, height: 24 }],
    ]);
    expect(images.map((i) => i.sha256)).toEqual(['', '']); // not hashed yet (a text dry run never is)
    const plan = planBody({ model: 'm' }, [{ role: 'user', content: images.map((image) => ({ type: 'media' as const, image })) }]);
    const sent = JSON.parse(await bodyToString(plan)) as { messages: { content: { image_url: { url: string } }[] }[] };
    expect(Buffer.from(sent.messages[0]!.content[0]!.image_url.url.split(',')[1]!, 'base64').equals(big.data)).toBe(true);
    expect(Buffer.from(sent.messages[0]!.content[1]!.image_url.url.split(',')[1]!, 'base64').equals(readFileSync(path.join(FIXTURES, 'small.png')))).toBe(true);
    // Both files gone after the send: their hashes were taken from what was sent.
    rmSync(dir, { recursive: true, force: true });
    const first = ensureHashed(images[0]!);
    expect(ensureHashed(images[0]!)).toBe(first); // one hash per image, however many ask
    expect(await Promise.all(images.map(ensureHashed))).toEqual([sha(big.data), sha(readFileSync(path.join(FIXTURES, 'small.png')))]);
    expect(images.map((i) => i.sha256)).toEqual(['', '']); // the Image values are not changed: the hash is kept beside them
  });

  it('a small body sent as one string hashes its file too; a body stopped part way keeps no hash', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-defer-'));
    copyFileSync(path.join(FIXTURES, 'small.png'), path.join(dir, 'small.png'));
    const [small] = await resolveInputs(['small.png'], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash: true });
    const one = bodySource(planBody({ model: 'm' }, [{ role: 'user', content: [{ type: 'media' as const, image: small! }] }]));
    expect(typeof one.whole?.()).toBe('string');
    const big = bigPng(dir, 2 * 1024 * 1024);
    const [partial] = await resolveInputs(['big.png'], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash: true });
    const chunks = bodySource(planBody({ model: 'm' }, [{ role: 'user', content: [{ type: 'media' as const, image: partial! }] }])).chunks();
    for await (const c of chunks) if (typeof c === 'string' && c.length > 1000) break; // its first piece of base64: the file not read to its end
    rmSync(path.join(dir, 'small.png'));
    expect(await ensureHashed(small!)).toBe(sha(readFileSync(path.join(FIXTURES, 'small.png'))));
    writeFileSync(big.file, Buffer.concat([big.data, Buffer.from('more')]));
    await expect(ensureHashed(partial!)).rejects.toThrow(/big\.png: changed since it was read/); // read again, not taken from the part sent
    rmSync(dir, { recursive: true, force: true });
  });

  it('ensureHashed hashes an image nothing has sent, and refuses a file that changed size meanwhile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-defer-'));
    const big = bigPng(dir, 1024 * 1024);
    const [img] = await resolveInputs(['big.png'], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash: true });
    expect(await ensureHashed(img!)).toBe(sha(big.data));
    expect(img!.sha256).toBe(''); // a value: not changed by the hash
    expect(await ensureHashed(img!)).toBe(sha(big.data));
    const [again] = await resolveInputs(['big.png'], { cwd: dir, readStdin: async () => new Uint8Array(), deferHash: true });
    writeFileSync(big.file, Buffer.concat([big.data, Buffer.from('more')]));
    await expect(ensureHashed(again!)).rejects.toThrow(InputError);
    await expect(ensureHashed(again!)).rejects.toThrow(/big\.png: changed since it was read/);
    rmSync(dir, { recursive: true, force: true });
  });
});
