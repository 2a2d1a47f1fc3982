// The bad-input corpus: each input gets a clear message naming it, exit 3 (or 2), never 1, and
// nothing is sent. Odd but valid inputs (names with newlines, 10,000 files) just work.
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';
import { readError } from '../../src/inputs/read.js';
import { EXIT } from '../../src/errors.js';

let dir: string;
const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  dir = mkdtempSync(path.join(tmpdir(), 'kv-bad-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true }); // 10,000 hard links and 100 MB sparse files must not pile up
});

const small = path.join(FIXTURES, 'small.png');
const kv = (args: string[], o: SpawnOptions = {}) =>
  runBin(['describe', ...args], { cwd: dir, ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-bad-inputs', ...o.env } });

async function refused(args: string[], code: number, message: RegExp) {
  const r = await kv(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  expect(emu.requests).toHaveLength(0);
}

describe('refused inputs', () => {
  it('truncated PNG and JPEG headers', async () => {
    writeFileSync(path.join(dir, 'cut.jpg'), Buffer.from([0xff, 0xd8]));
    await refused([path.join(FIXTURES, 'bad', 'truncated.png')], 3, /truncated\.png: not a supported image or video \(it looks like a truncated PNG header\)/);
    await refused(['cut.jpg'], 3, /cut\.jpg: .*truncated JPEG/i);
  });

  it('zero bytes, text, SVG, ICO and TIFF', async () => {
    for (const [name, what] of [
      ['empty.png', 'an empty file'],
      ['text-named.png', 'text'],
      ['drawing.svg', 'an SVG image'],
      ['icon.ico', 'an ICO icon'],
      ['scan.tiff', 'a TIFF image'],
    ]) {
      await refused([path.join(FIXTURES, 'bad', name!)], 3, new RegExp(`${name!.replace('.', '\\.')}: .*looks like ${what}`));
    }
  });

  it('a FIFO', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.png')]);
    await refused(['pipe.png'], 3, /pipe\.png: not a regular file/);
  });

  it('a missing file among good ones, and a dangling symlink', async () => {
    symlinkSync(path.join(dir, 'nowhere.png'), path.join(dir, 'dangling.png'));
    await refused([small, 'missing.png'], 3, /missing\.png: no such file/);
    await refused(['dangling.png'], 3, /dangling\.png: a symbolic link to a missing file/);
  });

  it('a prompt file that is not UTF-8', async () => {
    writeFileSync(path.join(dir, 'prompt.txt'), Buffer.from([0x44, 0xe9, 0x63, 0x72, 0x69, 0x73, 0xff]));
    await refused([small, '--prompt-file', 'prompt.txt'], 3, /prompt\.txt: the prompt file is not UTF-8 text/);
  });

  it('a body just over 100 MB is refused; just under is sent', async () => {
    const sparse = (name: string, bytes: number) => {
      const fd = openSync(path.join(dir, name), 'w');
      writeSync(fd, readFileSync(small));
      ftruncateSync(fd, bytes);
      closeSync(fd);
      return name;
    };
    // The JSON around one image is the same whatever its size: measure it, then aim 3 bytes each side of the limit.
    const probe = await kv([sparse('probe.png', 3000), '--dry-run', '--format', 'json']);
    const overhead = JSON.parse(probe.stdout).request_bytes - 4000;
    const limit = 100 * 1024 * 1024;
    const bytesFor = (body: number) => Math.floor(((body - overhead) / 4) * 3);
    await refused([sparse('over.png', bytesFor(limit + 4))], 3, /request would be 100\.0 MB; the API takes at most 100 MB/);
    const under = await kv([sparse('under.png', bytesFor(limit - 3)), '-q']);
    expect(under.code).toBe(0);
    expect(emu.chatRequests()[0]!.bodyBytes).toBeGreaterThan(limit - 8);
    expect(emu.chatRequests()[0]!.bodyBytes).toBeLessThanOrEqual(limit);
  });

  it('maps permission and other read errors to exit 3 with the input named', () => {
    // (tests run as root here, where chmod 000 cannot make a file unreadable: the mapping is checked directly)
    for (const [code, text] of [
      ['EACCES', 'permission denied'],
      ['EPERM', 'permission denied'],
      ['ENOENT', 'no such file'],
      ['EIO', 'cannot be read (EIO)'],
    ] as const) {
      const err = readError(Object.assign(new Error(code), { code }), 'shot.png');
      expect(err.exitCode).toBe(EXIT.input);
      expect(err.message).toContain(`shot.png: ${text}`);
    }
  });
});

describe('odd but valid inputs', () => {
  it('names with spaces, newlines and unicode keep their exact names', async () => {
    const names = ['my shot.png', 'line\nbreak.png', '截图 ✓.png'];
    for (const n of names) copyFileSync(small, path.join(dir, n));
    const r = await kv([...names, '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).images.map((i: { path: string }) => i.path)).toEqual(names);
  });

  it('a directory cycle through symlinks lists each file once', async () => {
    mkdirSync(path.join(dir, 'a'));
    copyFileSync(small, path.join(dir, 'a', 'shot.png'));
    symlinkSync('..', path.join(dir, 'a', 'loop'));
    const r = await kv(['.', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).images.map((i: { path: string }) => i.path)).toEqual(['a/shot.png']);
  });

  it('10,000 files in one glob', async () => {
    mkdirSync(path.join(dir, 'many'));
    const own = path.join(dir, 'small.png'); // links to a private copy: never to the fixture itself
    copyFileSync(small, own);
    for (let i = 0; i < 10_000; i++) linkSync(own, path.join(dir, 'many', `${String(i).padStart(5, '0')}.png`));
    const r = await kv(['many/*.png', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.images).toHaveLength(10_000);
    expect(out.images[0].path).toBe('many/00000.png');
    expect(out.images[9999].path).toBe('many/09999.png');
  }, 60_000);
});
