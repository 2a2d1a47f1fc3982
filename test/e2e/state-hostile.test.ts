// Output and state that cannot be written: the real bin against the emulator, with stdout or
// stderr on /dev/full, files over a size limit (the disk refuses the write as a full one would),
// folders where files should be, TMPDIR missing or full, a signal mid-upload. Every case: the
// documented exit code (never 1), no stack trace, no temporary or lock file left in any folder the
// tool writes (test/helpers/hostile.ts). Damaged state and concurrent runs: state-damaged.test.ts.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { BIN, FIXTURES, ROOT } from '../helpers/cli.js';
import { clean, filesUnder, hostileHome, kv, ours, tempDir } from '../helpers/hostile.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, firstByteDelayMs: 0 });
});

const small = path.join(FIXTURES, 'small.png');
const home = () => hostileHome(emu.baseUrl);

describe('stdout or stderr that cannot be written', () => {
  it.each([
    ['describe, streamed', ['describe', small]],
    ['describe, whole', ['describe', small, '--no-stream']],
    ['describe --format json', ['describe', small, '--format', 'json']],
    ['describe --each', ['describe', '--each', small, path.join(FIXTURES, 'photo.jpg'), '--format', 'jsonl']],
    ['describe --dry-run', ['describe', small, '--dry-run']],
    ['models --offline', ['models', '--offline']],
    ['config list', ['config', 'list']],
    ['--help', ['--help']],
  ])('stdout on a full disk (%s): said on stderr, exit 74, never a network error', async (_name, args) => {
    const h = home();
    const r = await kv(args, { env: h.env, stdout: 'full' });
    expect(r.code).toBe(74);
    expect(r.stderr).toContain('error: cannot write to stdout: no space left on the device (ENOSPC).');
    expect(r.stderr.match(/error:/g)).toHaveLength(1); // the one failure, not what it stopped
    clean(r, [h.dir]);
  });

  it('stdout full in --each: the run stops, and what was already done stays (sidecars written before)', async () => {
    const h = home();
    const dir = tempDir('kv-hostile-each-');
    for (const f of ['small.png', 'photo.jpg', 'screenshot.png']) copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    const r = await kv(['describe', '--each', '.', '-j', '1', '--write', 'txt'], { env: h.env, cwd: dir, stdout: 'full' });
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/1 described, 0 failed, 2 not done/);
    expect(filesUnder(dir).filter((f) => f.endsWith('.txt'))).toEqual(['photo.jpg.txt']); // the first in input order
    clean(r, [h.dir, dir]);
  });

  it('stderr on a full disk: the answer on stdout, then the failure (and any error) on stdout, exit 74', async () => {
    const h = home();
    const ok = await kv(['describe', small], { env: h.env, stderr: 'full' });
    expect(ok.code).toBe(74);
    expect(ok.stdout).toMatch(/^我看到 1 张图片。[^\n]*\nerror: cannot write to stderr: no space left on the device \(ENOSPC\)\.\n/);
    const missing = await kv(['describe', 'no-such.png'], { env: h.env, stderr: 'full' });
    expect(missing.code).toBe(74);
    expect(missing.stdout).toMatch(/^error: no-such\.png[^\n]*\n(.*\n)?error: cannot write to stderr/);
    clean(missing, [h.dir]);
  });

  it('a dry run writes nothing to stderr, so a full stderr does not fail it', async () => {
    const r = await kv(['describe', small, '--dry-run'], { env: home().env, stderr: 'full' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/small\.png\timage\/png/);
  });
});

describe('state that cannot be written', () => {
  it('a session that cannot be saved (the disk refuses): the answer printed, the error after it, exit 74', async () => {
    const h = home();
    const r = await kv(['describe', small], { env: h.env, fileSizeLimit: 300 });
    expect(r.code).toBe(74);
    expect(r.stdout).toMatch(/^我看到 1 张图片。/);
    expect(r.stderr).toMatch(/· not saved\n/);
    expect(r.stderr).toMatch(
      /error: this conversation could not be saved: cannot write \S+\.json: the file is larger than this file system or the file size limit \(ulimit -f\) allows \(EFBIG\); the answer above is its only copy\./,
    );
    expect(filesUnder(h.dir)).toEqual([]); // no session, no temporary
    clean(r, [h.dir]);
    // and nothing half-written is found later
    const again = await kv(['describe', '--continue', '-p', 'more'], { env: h.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/there is no conversation to continue yet/);
  });

  it('a blob (an image from stdin) that cannot be written: no partial blob, exit 74', async () => {
    const h = home();
    const r = await kv(['describe', '-', '-q'], { env: h.env, stdin: readFileSync(path.join(FIXTURES, 'photo.jpg')), fileSizeLimit: 20_000 });
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/could not be saved: cannot write \S+blobs\/[0-9a-f]{64}: .*\(EFBIG\)/);
    expect(filesUnder(h.dir)).toEqual([]);
  });

  it('a partial or missing blob is never trusted: damaged is exit 2, gone is exit 3, nothing sent', async () => {
    const h = home();
    expect((await kv(['describe', '-', '-q'], { env: h.env, stdin: readFileSync(small) })).code).toBe(0);
    const [blob] = filesUnder(path.join(h.dir, 'state', 'blobs'));
    const file = path.join(h.dir, 'state', 'blobs', blob!);
    truncateSync(file, 100);
    const damaged = await kv(['describe', '--continue', '-p', 'again'], { env: h.env });
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toContain(`error: damaged: ${file} (the stored copy of the image from stdin is not the 309 bytes whose sha256 names it).`);
    execFileSync('rm', [file]);
    const gone = await kv(['describe', '--continue', '-p', 'again'], { env: h.env });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/the image from stdin: its stored copy is gone/);
    expect(emu.chatRequests()).toHaveLength(1);
    clean(gone, [h.dir]);
  });

  it('the state folder blocked by a file: exit 74 naming it, after the answer', async () => {
    const h = home();
    writeFileSync(path.join(h.dir, 'state'), 'not a folder');
    const r = await kv(['describe', small], { env: h.env });
    expect(r.code).toBe(74);
    expect(r.stdout).toMatch(/^我看到/);
    expect(r.stderr).toMatch(/could not be saved: cannot write \S+\.json: a file is where a folder should be \((ENOTDIR|EEXIST)\)/);
  });

  it('a sidecar for a 245-byte image name is written (its temporary fits NAME_MAX)', async () => {
    const h = home();
    const dir = tempDir('kv-hostile-long-');
    const name = `${'a'.repeat(241)}.png`;
    copyFileSync(small, path.join(dir, name));
    const r = await kv(['describe', '--each', '.', '--write', 'json'], { env: h.env, cwd: dir });
    expect(r.code).toBe(0);
    expect(Buffer.byteLength(name)).toBe(245);
    expect(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'))).toMatchObject({ path: name, error: null });
    clean(r, [h.dir, dir]);
  });

  it('batch submit: a missing TMPDIR, one blocked by a file and one that refuses the file are said as such (exit 74), nothing left behind', async () => {
    const h = home();
    // (Node's own compile cache would create a missing TMPDIR for its cache folder: off here)
    const missing = await kv(['batch', 'submit', small], { env: { ...h.env, TMPDIR: path.join(h.dir, 'no-such-tmp'), NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(missing.code).toBe(74);
    expect(missing.stderr).toMatch(/cannot write the batch file to the temporary folder \S+no-such-tmp: the folder does not exist \(ENOENT\)/);
    expect(missing.stderr).toMatch(/Point TMPDIR at a folder that exists/);
    writeFileSync(path.join(h.dir, 'a-file'), '');
    const blocked = await kv(['batch', 'submit', small], { env: { ...h.env, TMPDIR: path.join(h.dir, 'a-file', 'tmp') } });
    expect(blocked.code).toBe(74);
    expect(blocked.stderr).toMatch(/temporary folder \S+a-file\/tmp: a file is where a folder should be \(ENOTDIR\)/);
    const tmp = tempDir('kv-hostile-tmp-');
    const full = await kv(['batch', 'submit', small, path.join(FIXTURES, 'photo.jpg')], { env: { ...h.env, TMPDIR: tmp }, fileSizeLimit: 2000 });
    expect(full.code).toBe(74);
    expect(full.stderr).toMatch(/cannot write the batch file to the temporary folder \S+: .*\(EFBIG\)/);
    expect(ours(tmp)).toEqual([]);
    expect(emu.requests.filter((q) => q.path.includes('/files'))).toEqual([]);
    clean(full, [h.dir, tmp]);
  });

  it('batch submit stopped by SIGTERM while uploading: its temporary folder is gone', async () => {
    const h = home();
    const tmp = tempDir('kv-hostile-tmp-');
    // A server that takes the upload and never answers.
    const silent = createServer((socket) => socket.on('data', () => child.kill('SIGTERM')));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const env = { PATH: process.env.PATH ?? '', ...h.env, MOONSHOT_BASE_URL: `http://127.0.0.1:${port}/v1`, TMPDIR: tmp };
    const child = spawn(process.execPath, [BIN, 'batch', 'submit', small], { cwd: ROOT, env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    silent.close();
    expect(code).toBe(143);
    expect(ours(tmp)).toEqual([]);
  });
});
