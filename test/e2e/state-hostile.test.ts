// Output and state that cannot be written, changed underneath, or damaged: the real bin against the
// emulator, with stdout or stderr on /dev/full, files over a size limit (prlimit --fsize: the disk
// refuses the write as a full one would), folders where files should be, FIFOs, damaged JSON, and
// real concurrent processes. Every case: the documented exit code (never 1), no stack trace, no
// temporary or lock file left in any folder the tool writes.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { BIN, FIXTURES, ROOT, stripAnsi, type Result } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, firstByteDelayMs: 0 });
});

const KEY = 'sk-state-hostile-5e5e5e';
const small = path.join(FIXTURES, 'small.png');

interface Run {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: Buffer | string;
  /** Where stdout / stderr go: a pipe read by the test, or /dev/full (every write: ENOSPC). */
  stdout?: 'pipe' | 'full';
  stderr?: 'pipe' | 'full';
  /** Largest file the run may write, in bytes (prlimit --fsize): a write beyond it fails (EFBIG). */
  fileSizeLimit?: number;
}

/** A fresh KIMI_VISION_HOME (config, state and cache in one folder) and the emulator. */
function home(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-'));
  return { dir, env: { KIMI_VISION_HOME: dir, MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY } };
}

function kv(args: string[], o: Run = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const full = (which: 'pipe' | 'full' | undefined) => (which === 'full' ? openSync('/dev/full', 'w') : 'pipe');
    const out = full(o.stdout);
    const err = full(o.stderr);
    const argv = [process.execPath, BIN, ...args];
    const [cmd, ...rest] = o.fileSizeLimit !== undefined ? ['prlimit', `--fsize=${o.fileSizeLimit}`, ...argv] : argv;
    const child = spawn(cmd!, rest, {
      cwd: o.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...o.env },
      stdio: ['pipe', out, err],
    });
    for (const fd of [out, err]) if (typeof fd === 'number') closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: stripAnsi(stderr) }));
    child.stdin?.end(o.stdin ?? '');
  });
}

/** Every file under a folder, recursively (names relative to it). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** What kimi-vision left in a TMPDIR (Node keeps its compile cache there too). */
const ours = (tmp: string) => readdirSync(tmp).filter((n) => n !== 'node-compile-cache');

/** What every case must hold: a documented exit code, a message, no trace, nothing half-written left. */
function clean(r: Result, dirs: string[]): void {
  expect([0, 2, 3, 4, 5, 6, 74, 75]).toContain(r.code);
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/internal error|\n\s+at \S+ \(|TypeError|network error/);
  for (const dir of dirs) expect(filesUnder(dir).filter((f) => /\.tmp$|\.lock(\.break)?$/.test(f)), dir).toEqual([]);
}

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
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-each-'));
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
    expect(r.stderr).toMatch(/error: this conversation could not be saved: cannot write \S+\.json: the file is larger than this file system or the file size limit \(ulimit -f\) allows \(EFBIG\); the answer above is its only copy\./);
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
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-hostile-long-'));
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
    const tmp = mkdtempSync(path.join(tmpdir(), 'kv-hostile-tmp-'));
    const full = await kv(['batch', 'submit', small, path.join(FIXTURES, 'photo.jpg')], { env: { ...h.env, TMPDIR: tmp }, fileSizeLimit: 2000 });
    expect(full.code).toBe(74);
    expect(full.stderr).toMatch(/cannot write the batch file to the temporary folder \S+: .*\(EFBIG\)/);
    expect(ours(tmp)).toEqual([]);
    expect(emu.requests.filter((q) => q.path.includes('/files'))).toEqual([]);
    clean(full, [h.dir, tmp]);
  });

  it('batch submit stopped by SIGTERM while uploading: its temporary folder is gone', async () => {
    const h = home();
    const tmp = mkdtempSync(path.join(tmpdir(), 'kv-hostile-tmp-'));
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

describe('concurrent runs lose no update', () => {
  it('two describe --continue on one conversation: one saves, the other is refused (answer printed, exit 75)', async () => {
    const h = home();
    expect((await kv(['describe', small, '-q'], { env: h.env })).code).toBe(0);
    const file = path.join(h.dir, 'state', 'sessions', filesUnder(path.join(h.dir, 'state', 'sessions'))[0]!);
    // Answers that take a while, so both runs have read the conversation before either saves.
    emu.set({ firstByteDelayMs: 3000, reply: (ctx) => `Answer to ${JSON.stringify(ctx.body.messages.at(-1).content.at(-1).text)}.` });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, emu.inFlight)), 5);
    const [a, b] = await Promise.all([kv(['describe', '--continue', '-p', 'first'], { env: h.env }), kv(['describe', '--continue', '-p', 'second'], { env: h.env })]);
    clearInterval(watch);
    expect(most).toBe(2); // both were answering at once
    const [saved, refused] = a.code === 0 ? [a, b] : [b, a];
    expect([saved.code, refused.code]).toEqual([0, 75]);
    expect(refused.stdout).toMatch(/^Answer to "(first|second)"\.\n$/); // its answer is still shown
    expect(refused.stderr).toMatch(/error: this turn was not saved: another run continued the conversation \S+ while this one was answered/);
    const winner = /Answer to "(\w+)"/.exec(saved.stdout)![1];
    const session = JSON.parse(readFileSync(file, 'utf8')) as { messages: { role: string; content: unknown }[] };
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(JSON.stringify(session.messages[2])).toContain(winner);
    clean(refused, [h.dir]);
  }, 30_000);

  it('config set of four keys at once, four processes: all four land', async () => {
    const h = home();
    const values = { model: 'kimi-k3', prompt: 'Alt text.', format: 'json', base_url: 'https://api.moonshot.ai/v1' };
    const runs = await Promise.all(Object.entries(values).map(([k, v]) => kv(['config', 'set', k, v], { env: h.env })));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(JSON.parse(readFileSync(path.join(h.dir, 'config.json'), 'utf8'))).toEqual(values);
    for (const r of runs) clean(r, [h.dir]);
  });
});

describe('damaged state', () => {
  it.each([['{}'], ['null'], ['[]'], ['{"version":1,"id":3}'], ['{"version":1,"id":"x","created_at":"","updated_at":"","model":"m","params":{},"messages":[{"role":"user","content":7}]}']])(
    'a session holding %s: "damaged: <path>" exit 2 on --continue; sessions skips it with a note',
    async (text) => {
      const h = home();
      expect((await kv(['describe', small, '-q'], { env: h.env })).code).toBe(0);
      const dir = path.join(h.dir, 'state', 'sessions');
      const file = path.join(dir, filesUnder(dir)[0]!);
      writeFileSync(file, text);
      const r = await kv(['describe', '--continue', '-p', 'again'], { env: h.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: damaged: ${file} (`);
      expect(r.stderr).toContain(`rm ${file}`);
      const list = await kv(['sessions'], { env: h.env });
      expect(list.code).toBe(0);
      expect(list.stderr).toContain(`note: skipped damaged: ${file} (`);
      clean(r, [h.dir]);
    },
  );

  it.each([['null'], ['[]'], ['{"model": 3}'], ['"kimi-k3"']])('a config file holding %s stops every command with exit 2', async (text) => {
    const h = home();
    writeFileSync(path.join(h.dir, 'config.json'), text);
    for (const args of [['describe', small], ['config', 'list'], ['config', 'set', 'model', 'kimi-k3'], ['models']]) {
      const r = await kv(args, { env: h.env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'config.json')} (`);
    }
    expect(readFileSync(path.join(h.dir, 'config.json'), 'utf8')).toBe(text); // not "repaired" over
  });

  it('a config path that is a FIFO is refused at once, without blocking (exit 2)', async () => {
    const h = home();
    execFileSync('mkfifo', [path.join(h.dir, 'config.json')]);
    const started = Date.now();
    const r = await kv(['describe', small], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'config.json')} (a FIFO (named pipe), not a file).`);
    expect(Date.now() - started).toBeLessThan(20_000); // (a blocking open would never return)
  });

  it('an uploads index of the wrong shape: exit 2 before anything is uploaded', async () => {
    const h = home();
    mkdirSync(path.join(h.dir, 'state'), { recursive: true });
    writeFileSync(path.join(h.dir, 'state', 'uploads.json'), '["file-1"]');
    const r = await kv(['describe', small, '--upload'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'state', 'uploads.json')} (the file must be an object, not an array).`);
    expect(emu.requests.filter((q) => q.path.includes('/files'))).toEqual([]);
  });

  it('a batch manifest of the wrong shape: batch fetch exit 2 naming it', async () => {
    const h = home();
    const submit = await kv(['batch', 'submit', small], { env: h.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    const file = path.join(h.dir, 'state', 'batches', `${id}.json`);
    writeFileSync(file, JSON.stringify({ version: 1, batch_id: id, images: [] }));
    const r = await kv(['batch', 'fetch', id], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${file} (`);
  });
});
