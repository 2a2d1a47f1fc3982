// Inputs that change or cannot be read, through the real bin: folders with entries that cannot be
// stat'ed, names that are not UTF-8, files removed between planning and sending, a stored blob that
// is gone, bad inputs among many in --each, and an endless stdin. Never exit 1, never a retry.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../emulator/types.js';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
let dir: string;
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, onRequestEnd: undefined, firstByteDelayMs: 0 });
  dir = mkdtempSync(path.join(tmpdir(), 'kv-inputs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SMALL = path.join(FIXTURES, 'small.png');
const smallSha = createHash('sha256').update(readFileSync(SMALL)).digest('hex');
const png = (name: string) => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  copyFileSync(SMALL, path.join(dir, name));
};
const kv = (args: string[], o: SpawnOptions = {}) => runBin(args, { cwd: dir, ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-inputs-hostile', ...o.env } });
const dryPaths = (stdout: string) => (JSON.parse(stdout) as { images: { path: string }[] }).images.map((i) => i.path);
const jsonl = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string; sha256: string; text: string; error: { code: number; type: string; message: string } | null });

describe('a folder with entries that cannot be taken', () => {
  it('dangling symlinks, symlink loops and a cycle: the rest of the folder is taken, the skipped entries named', async () => {
    for (const n of ['shots/a.png', 'shots/b.png', 'shots/sub/c.png']) png(n);
    symlinkSync('gone.png', path.join(dir, 'shots', 'dangling.png'));
    symlinkSync('loop.png', path.join(dir, 'shots', 'loop.png'));
    symlinkSync('..', path.join(dir, 'shots', 'sub', 'up'));
    for (const input of ['shots', 'shots/**/*.png']) {
      const r = await kv(['describe', input, '--dry-run', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(dryPaths(r.stdout)).toEqual(['shots/a.png', 'shots/b.png', 'shots/sub/c.png']);
      expect(r.stderr).toMatch(/skipped 2 entries that cannot be read: shots\/dangling\.png \(a symbolic link to a missing file\), shots\/loop\.png \(a symbolic link loop\)/);
    }
  });

  it('a name that is not UTF-8: shown with the byte escaped, sent with its exact bytes, its session continues', async () => {
    png('shots/plain.png');
    const raw = Buffer.concat([Buffer.from(path.join(dir, 'shots', 'caf')), Buffer.of(0xe9), Buffer.from('.png')]);
    copyFileSync(SMALL, raw);
    const dry = await kv(['describe', 'shots', '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dryPaths(dry.stdout)).toEqual(['shots/caf\\xE9.png', 'shots/plain.png']);
    const each = await kv(['describe', '--each', 'shots', '--format', 'jsonl', '-q']);
    expect(each.code, each.stderr).toBe(0);
    expect(jsonl(each.stdout).map((x) => [x.path, x.sha256, x.error])).toEqual([
      ['shots/caf\\xE9.png', smallSha, null],
      ['shots/plain.png', smallSha, null],
    ]);
    const md = await kv(['describe', '--each', 'shots', '--format', 'markdown', '-q']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('(shots/caf%E9.png)');
    emu.reset();
    const home = isolatedHome();
    expect((await kv(['describe', 'shots/*.png', '-q'], { env: home })).code).toBe(0);
    const again = await kv(['describe', '--continue', '-p', 'And now?', '-q'], { env: home });
    expect(again.code, again.stderr).toBe(0);
    expect(emu.chatRequests()[1]!.images.map((i) => i.sha256)).toEqual([smallSha, smallSha]);
  });

  it('a folder that other processes write into while it is walked: every stable image is taken, every time', async () => {
    const stable = ['w/1.png', 'w/2.png', 'w/3.png'];
    for (const n of stable) png(n);
    // A writer that keeps creating and deleting files in the folder (and a subfolder) as fast as it can.
    const churn = `const fs=require('fs'),p=require('path');const d=${JSON.stringify(path.join(dir, 'w'))};const img=fs.readFileSync(${JSON.stringify(SMALL)});
      for(let i=0;;i++){const f=p.join(d,'tmp'+(i%50)+'.png');try{fs.writeFileSync(f,img);fs.mkdirSync(p.join(d,'s'+(i%7)),{recursive:true});fs.unlinkSync(f);fs.rmSync(p.join(d,'s'+((i+3)%7)),{recursive:true,force:true})}catch{}}`;
    const writer = (await import('node:child_process')).spawn(process.execPath, ['-e', churn], { stdio: 'ignore' });
    try {
      for (let run = 0; run < 5; run++) {
        const r = await kv(['describe', 'w', '--dry-run', '--format', 'json']);
        expect(r.code, r.stderr).toBe(0);
        expect(dryPaths(r.stdout)).toEqual(expect.arrayContaining(stable.map((s) => s)));
      }
    } finally {
      writer.kill('SIGKILL');
    }
  }, 60_000);
});

// chmod 000 stops everyone but root: as root, the bin is run as nobody (setpriv), where modes apply.
const asRoot = process.getuid?.() === 0;
const setpriv = asRoot && spawnSync('setpriv', ['--version']).status === 0;
const modesApply = !asRoot || setpriv;
if (!modesApply) console.log('inputs-hostile: skipping the chmod 000 cases: running as root, which ignores file modes, and setpriv is not available to run as another user');
const unprivileged = (): SpawnOptions => {
  if (!asRoot) return {};
  const home = mkdtempSync(path.join(tmpdir(), 'kv-nobody-'));
  chmodSync(home, 0o777);
  chmodSync(dir, 0o755);
  return {
    wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'],
    env: { HOME: home, XDG_CONFIG_HOME: `${home}/c`, XDG_CACHE_HOME: `${home}/k`, XDG_STATE_HOME: `${home}/s` },
  };
};

describe.runIf(modesApply)('files and folders that cannot be read (chmod 000)', () => {
  it('an unreadable subfolder and an unsearchable one are noted, the rest of the folder is taken', async () => {
    for (const n of ['p/1.png', 'p/locked/2.png', 'p/listonly/3.png']) png(n);
    chmodSync(path.join(dir, 'p', 'locked'), 0o000);
    chmodSync(path.join(dir, 'p', 'listonly'), 0o644); // can be listed, not entered
    const r = await kv(['describe', 'p', '--dry-run', '--format', 'json'], unprivileged());
    expect(r.code, r.stderr).toBe(0);
    expect(dryPaths(r.stdout)).toEqual(['p/1.png']);
    expect(r.stderr).toMatch(/skipped 2 entries that cannot be read: .*p\/listonly\/3\.png \(cannot be examined: permission denied\)/);
    expect(r.stderr).toMatch(/p\/locked\/ \(a folder that cannot be opened: permission denied; not searched\)/);
    const named = await kv(['describe', 'p/locked', '--dry-run'], unprivileged());
    expect(named.code).toBe(3); // named on the command line: that input's error
    expect(named.stderr).toMatch(/^error: p\/locked: permission denied\.$/m);
  });

  it('an unreadable file: describe refuses it by name (exit 3, nothing sent); --each records it and describes the rest', async () => {
    for (const n of ['1.png', 'secret.png', '2.png']) png(n);
    chmodSync(path.join(dir, 'secret.png'), 0o000);
    const one = await kv(['describe', '.'], unprivileged());
    expect(one.code).toBe(3);
    expect(one.stderr).toMatch(/secret\.png: permission denied/);
    expect(emu.chatRequests()).toHaveLength(0);
    const each = await kv(['describe', '--each', '.', '--format', 'jsonl', '-q'], unprivileged());
    expect(each.code).toBe(3);
    expect(jsonl(each.stdout).map((x) => [x.path, x.error?.code ?? 0, x.error?.type ?? 'ok'])).toEqual([
      ['1.png', 0, 'ok'],
      ['2.png', 0, 'ok'],
      ['secret.png', 3, 'bad_input'],
    ]);
    expect(emu.chatRequests()).toHaveLength(2);
  });
});

describe('a file removed between planning and sending', () => {
  /**
   * One request only: a body this small is read whole before anything goes out (request/body.ts), so
   * the request whose file is gone never leaves the machine (a large body stops at the missing file:
   * test/unit/resolve-hostile.test.ts).
   */
  const expectNotSent = (requests: LoggedRequest[]) => {
    expect(requests).toHaveLength(1);
  };

  it('describe: an input error naming it (exit 3), not a network error retried three times', async () => {
    png('shot.png');
    emu.queueFault({ kind: 'error', status: 503, type: 'server_error', message: 'busy', headers: { 'retry-after': '1' } });
    emu.set({ onRequestEnd: () => rmSync(path.join(dir, 'shot.png'), { force: true }) }); // gone before the retry reads it
    const r = await kv(['describe', 'shot.png']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/shot\.png: was removed since the run started/);
    expect(r.stderr).not.toMatch(/network|attempts/);
    // The 503; the retry's body met the missing file before a byte was sent: not sent, not retried.
    expectNotSent(emu.chatRequests());
  });

  it('--each: once the first request arrives the second image is removed; it gets its failure record, the first is described', async () => {
    png('a.png');
    png('b.png');
    emu.set({ firstByteDelayMs: 200, reply: () => (rmSync(path.join(dir, 'b.png'), { force: true }), undefined) });
    const r = await kv(['describe', '--each', 'a.png', 'b.png', '-j', '1', '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(3);
    const [a, b] = jsonl(r.stdout);
    expect(a!.error).toBeNull();
    expect(b).toMatchObject({ path: 'b.png', sha256: smallSha, text: '', error: { code: 3, type: 'bad_input', message: 'was removed since the run started.' } });
    expect(r.stderr).toMatch(/1 described, 1 failed/);
    expectNotSent(emu.chatRequests()); // a.png's request; b.png's never went out
  });

  it('--each --cache: a file rewritten at the same size after the survey is refused, and its new bytes are not answered from the cache', async () => {
    png('a.png');
    png('b.png');
    const home = isolatedHome();
    const changed = Buffer.from(readFileSync(SMALL));
    changed.writeUInt8(changed.readUInt8(changed.length - 20) ^ 0xff, changed.length - 20); // same size, other bytes
    emu.set({ firstByteDelayMs: 200, reply: () => (writeFileSync(path.join(dir, 'b.png'), changed), undefined) });
    const r = await kv(['describe', '--each', 'a.png', 'b.png', '-j', '1', '--format', 'jsonl', '--cache'], { env: home });
    expect(r.code, r.stderr).toBe(3);
    const [a, b] = jsonl(r.stdout);
    expect(a!.error).toBeNull();
    expect(b).toMatchObject({ path: 'b.png', sha256: smallSha, text: '', error: { code: 3, type: 'bad_input' } });
    expect(b!.error?.message).toMatch(/changed while being sent \(the same size, but not the bytes read when the run was planned\)/);
    expect(r.stderr).toMatch(/1 described, 1 failed/);
    expect(emu.chatRequests().filter((q) => q.status === 200)).toHaveLength(1); // b.png's request never completed
    // Run again: b.png's new bytes are sent and answered under their own sha256; a.png comes from the cache.
    emu.reset();
    emu.set({ reply: undefined, firstByteDelayMs: 0 });
    const again = await kv(['describe', '--each', 'a.png', 'b.png', '--format', 'jsonl', '--cache'], { env: home });
    expect(again.code, again.stderr).toBe(0);
    const [a2, b2] = jsonl(again.stdout) as ({ cached: boolean } & ReturnType<typeof jsonl>[number])[];
    expect(a2).toMatchObject({ path: 'a.png', cached: true, error: null });
    expect(b2).toMatchObject({ path: 'b.png', sha256: createHash('sha256').update(changed).digest('hex'), cached: false, error: null });
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('--continue: a stored stdin image whose blob is gone, and a file that is gone, are refused by name before sending', async () => {
    const home = isolatedHome();
    expect((await kv(['describe', '-', '-q'], { env: home, stdin: readFileSync(SMALL) })).code).toBe(0);
    const blobs = path.join(home.XDG_STATE_HOME as string, 'kimi-vision', 'blobs');
    for (const f of readdirSync(blobs)) rmSync(path.join(blobs, f));
    emu.reset();
    const blob = await kv(['describe', '--continue', '-p', 'More?'], { env: home });
    expect(blob.code).toBe(3);
    expect(blob.stderr).toMatch(/the image from stdin: its stored copy is gone since it was added to this conversation \(.*blobs.*\)/);
    png('shot.png');
    expect((await kv(['describe', 'shot.png', '-q'], { env: home })).code).toBe(0);
    rmSync(path.join(dir, 'shot.png'));
    emu.reset();
    const file = await kv(['describe', '--continue', '-p', 'More?'], { env: home });
    expect(file.code).toBe(3);
    expect(file.stderr).toMatch(/shot\.png is gone since it was added to this conversation/);
    expect(emu.chatRequests()).toHaveLength(0);
  });
});

describe('--each with bad inputs among good ones', () => {
  const setUp = () => {
    png('good1.png');
    png('good2.png');
    writeFileSync(path.join(dir, 'notes.png'), 'a text file named .png\n');
    writeFileSync(path.join(dir, 'cut.png'), readFileSync(SMALL).subarray(0, 10));
    return ['good1.png', 'missing.png', 'notes.png', 'cut.png', 'good2.png'];
  };

  it('each bad input is its own failure record in input order, the others are described, the exit code is the first failure', async () => {
    const args = setUp();
    const r = await kv(['describe', '--each', ...args, '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(3);
    expect(jsonl(r.stdout).map((x) => [x.path, x.error?.code ?? 0, x.error?.message ?? x.text.length > 0])).toEqual([
      ['good1.png', 0, true],
      ['missing.png', 3, 'no such file.'],
      ['notes.png', 3, 'not a supported image or video (it looks like text (UTF-8)).'],
      ['cut.png', 3, 'not a supported image or video (it looks like a truncated PNG header).'],
      ['good2.png', 0, true],
    ]);
    expect(r.stderr).toMatch(/^error: missing\.png: no such file\.$/m);
    expect(r.stderr).toMatch(/2 described, 3 failed/);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('text and Markdown show the failures too; a dry run names them and exits 3; describe and batch submit send nothing', async () => {
    const args = setUp();
    const text = await kv(['describe', '--each', ...args, '-q']);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/==> good1\.png <==[\s\S]*==> good2\.png <==/);
    expect(text.stderr).toMatch(/cut\.png: not a supported image/);
    const md = await kv(['describe', '--each', ...args, '--format', 'markdown', '-q']);
    expect(md.code).toBe(3);
    expect(md.stdout).toMatch(/## notes\.png\n+> .*not a supported image/);
    emu.reset();
    const dry = await kv(['describe', '--each', ...args, '--dry-run', '--format', 'json']);
    expect(dry.code).toBe(3);
    expect(dryPaths(dry.stdout)).toEqual(['good1.png', 'good2.png']);
    expect(dry.stderr).toMatch(/missing\.png: no such file/);
    const one = await kv(['describe', ...args]);
    expect(one.code).toBe(3);
    expect(one.stderr).toMatch(/missing\.png: no such file/);
    const batch = await kv(['batch', 'submit', ...args]);
    expect(batch.code).toBe(3);
    expect(batch.stdout).toBe('');
    expect(emu.requests).toHaveLength(0);
  });
});

describe('stdin is bounded like a file', () => {
  it('describe - < /dev/zero stops with exit 3 instead of reading forever', async () => {
    for (const args of [
      ['describe', '-'],
      ['describe', '--each', '-'],
    ]) {
      const r = await kv(args, { stdinFile: '/dev/zero' });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/-: stdin holds more than 75 MB; encoded it would be over the API's 100 MB request limit/);
    }
    expect(emu.requests).toHaveLength(0);
  }, 60_000);
});
