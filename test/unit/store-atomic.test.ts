// Atomic writes: the whole new file or the old one, never a part, and no temporary left behind,
// whatever fails: the disk (real failures where Linux gives them, injected ones where it cannot), the
// data source, or the process (a signal in the middle of a streamed write, in a child process).
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, StoreError } from '../../src/errors.js';
import { folderMode, tempName, writeFileAtomic, writeStreamAtomic } from '../../src/store/atomic.js';
import { pendingCount } from '../../src/store/pending.js';
import { storeError } from '../../src/store/store-error.js';
import { nodeStoreFs, type StoreFs } from '../../src/store/store-fs.js';
import { ROOT } from '../helpers/cli.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'kv-atomic-'));
const mode = (p: string) => statSync(p).mode & 0o777;
const caught = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => new Error('did not fail'),
    (e: unknown) => e,
  );

/** The real file system, with one call made to fail the way a broken disk would. */
function failing(call: keyof StoreFs, code: string, onCall = 1): StoreFs & { calls: string[] } {
  const calls: string[] = [];
  let n = 0;
  const wrapped = {} as Record<string, unknown>;
  for (const [name, f] of Object.entries(nodeStoreFs) as [keyof StoreFs, (...a: unknown[]) => unknown][]) {
    wrapped[name] = (...args: unknown[]) => {
      calls.push(name);
      if (name === call && ++n === onCall) {
        const err = Object.assign(new Error(`${code}: injected`), { code });
        if (name === 'createExclusive' || name === 'chmod' || name.endsWith('Sync')) throw err;
        return Promise.reject(err);
      }
      return f(...args);
    };
  }
  return Object.assign(wrapped as unknown as StoreFs, { calls });
}

async function* slowly(parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const p of parts) {
    await new Promise((r) => setImmediate(r));
    yield p;
  }
}

describe('writeFileAtomic', () => {
  it('writes the file whole; folders it creates are as private as the file (0600 -> 0700)', async () => {
    const dir = fresh();
    const file = path.join(dir, 'state', 'sessions', 's1.json');
    await writeFileAtomic(file, '{"a":1}\n', { mode: 0o600, durable: true });
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(mode(file)).toBe(0o600);
    expect(mode(path.join(dir, 'state'))).toBe(0o700);
    expect(mode(path.join(dir, 'state', 'sessions'))).toBe(0o700);
    expect(readdirSync(path.dirname(file))).toEqual(['s1.json']);
    expect(pendingCount()).toBe(0);
  });

  it('replaces a file, keeping its permission bits when no mode is given', async () => {
    const file = path.join(fresh(), 'shot.png.txt');
    writeFileSync(file, 'old');
    chmodSync(file, 0o640);
    await writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(mode(file)).toBe(0o640);
  });

  it('through a symbolic link: the link stays, the file it points to is replaced', async () => {
    const dir = fresh();
    mkdirSync(path.join(dir, 'dotfiles'));
    const real = path.join(dir, 'dotfiles', 'kv.json');
    writeFileSync(real, '{}');
    const link = path.join(dir, 'config.json');
    symlinkSync(real, link);
    await writeFileAtomic(link, '{"model":"kimi-k3"}', { mode: 0o600 });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('{"model":"kimi-k3"}');
    expect(readdirSync(path.join(dir, 'dotfiles'))).toEqual(['kv.json']);
  });

  it('a 250-byte image name still gets its 254-byte sidecar (the temporary is named from a short prefix)', async () => {
    const dir = fresh();
    const image = `${'é'.repeat(123)}.png`; // 246 + 4 = 250 bytes
    expect(Buffer.byteLength(image)).toBe(250);
    await writeFileAtomic(path.join(dir, `${image}.txt`), 'alt text');
    expect(readdirSync(dir)).toEqual([`${image}.txt`]);
  });

  it.each([
    ['a short name', 'a.json'],
    ['a long ASCII name', 'x'.repeat(255)],
    ['a long name of 2-byte characters', 'é'.repeat(127)],
    ['a long name of 4-byte characters (never cut inside one)', '🖼'.repeat(63)],
  ])('the temporary of %s fits NAME_MAX, hidden, in whole characters', (_n, name) => {
    const tmp = tempName(name);
    expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(58);
    expect(tmp).toMatch(/^\.[\s\S]*\.[0-9a-f]{12}\.tmp$/);
    expect(tmp).not.toContain('\uFFFD');
    expect(name.startsWith(tmp.slice(1, tmp.length - 18))).toBe(true);
  });

  it.each([
    [0o600, 0o700],
    [0o644, 0o755],
    [0o640, 0o750],
    [0o400, 0o500],
  ])('folderMode(%o) = %o', (file, dir) => {
    expect(folderMode(file)).toBe(dir);
  });
});

describe('writeStreamAtomic', () => {
  it('writes chunks (strings and bytes, small and large) exactly, and says how many bytes', async () => {
    const file = path.join(fresh(), 'batch.jsonl');
    const big = Buffer.alloc(200_000, 0x61);
    const parts = ['{"custom_id":"img-0"}\n', new Uint8Array([0xe4, 0xbd, 0xa0]), big, 'é\n'];
    const n = await writeStreamAtomic(file, slowly(parts));
    const want = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    expect(n).toBe(want.length);
    expect(readFileSync(file).equals(want)).toBe(true);
  });

  it('a source that fails mid-way: its own error, the old file intact, no temporary', async () => {
    const dir = fresh();
    const file = path.join(dir, 'blob');
    writeFileSync(file, 'old');
    async function* broken() {
      yield 'part one';
      throw new Error('the image changed while it was read');
    }
    const err = await caught(writeStreamAtomic(file, broken()));
    expect((err as Error).message).toBe('the image changed while it was read');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['blob']);
    expect(pendingCount()).toBe(0);
  });
});

describe('a disk that fails', () => {
  it.each([
    ['ENOSPC on the second write (a full disk mid-write)', 'write', 'ENOSPC', 2, /cannot write .*blob: no space left on the device \(ENOSPC\)\./],
    ['EIO at fsync', 'fsync', 'EIO', 1, /the disk reported an I\/O error \(EIO\)/],
    ['EDQUOT at close', 'close', 'EDQUOT', 1, /over the disk quota \(EDQUOT\)/],
    ['a refused rename', 'rename', 'EPERM', 1, /permission denied \(EPERM\)/],
  ] as const)('%s: exit 74 with the path and code, the old file intact, no temporary', async (_n, call, code, onCall, message) => {
    const dir = fresh();
    const file = path.join(dir, 'blob');
    writeFileSync(file, 'old');
    const fs = failing(call, code, onCall);
    const err = await caught(writeStreamAtomic(file, [Buffer.alloc(100_000), Buffer.alloc(100_000)], { durable: true, fs }));
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code, path: file, exitCode: EXIT.io });
    expect((err as StoreError).message).toMatch(message);
    expect(fs.calls).toContain(call);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['blob']);
    expect(pendingCount()).toBe(0);
  });

  it('durable: the file is synced before the rename and the folder after it; a cache write syncs nothing', async () => {
    const dir = fresh();
    const durable = failing('unlinkSync', 'never', 1);
    await writeFileAtomic(path.join(dir, 'a'), 'x', { durable: true, fs: durable });
    expect(durable.calls.filter((c) => ['write', 'fsync', 'close', 'rename', 'fsyncDir'].includes(c))).toEqual(['write', 'fsync', 'close', 'rename', 'fsyncDir']);
    const cache = failing('unlinkSync', 'never', 1);
    await writeFileAtomic(path.join(dir, 'b'), 'x', { fs: cache });
    expect(cache.calls).not.toContain('fsync');
    expect(cache.calls).not.toContain('fsyncDir');
  });

  it('a folder that cannot sync (EINVAL on some file systems) is not an error: the file is in place', async () => {
    const file = path.join(fresh(), 'a');
    await writeFileAtomic(file, 'x', { durable: true, fs: failing('fsyncDir', 'EINVAL') });
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a temporary name already taken is not an error: another name is tried', async () => {
    const file = path.join(fresh(), 'a');
    const fs = failing('createExclusive', 'EEXIST');
    await writeFileAtomic(file, 'x', { fs });
    expect(fs.calls.filter((c) => c === 'createExclusive')).toHaveLength(2);
    expect(readdirSync(path.dirname(file))).toEqual(['a']);
  });

  it('a folder where nothing may be created (/sys): EACCES, naming the file', async () => {
    const err = await caught(writeFileAtomic('/sys/kimi-vision-test.json', '{}'));
    expect(err).toMatchObject({ code: 'EACCES', path: '/sys/kimi-vision-test.json', exitCode: EXIT.io });
    expect((err as StoreError).message).toBe('cannot write /sys/kimi-vision-test.json: permission denied (EACCES).');
  });

  it('a file where a folder should be: ENOTDIR, and nothing created', async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'state'), 'i am a file');
    const err = await caught(writeFileAtomic(path.join(dir, 'state', 'sessions', 'a.json'), '{}'));
    expect(err).toMatchObject({ code: 'ENOTDIR', exitCode: EXIT.io });
    expect((err as StoreError).message).toMatch(/a file is where a folder should be \(ENOTDIR\)/);
    expect(readdirSync(dir)).toEqual(['state']);
  });

  it('the target is a folder (chat /save to a folder): EISDIR, no temporary left in it', async () => {
    const dir = fresh();
    mkdirSync(path.join(dir, 'notes'));
    const err = await caught(writeFileAtomic(path.join(dir, 'notes'), '# transcript'));
    expect(err).toMatchObject({ code: 'EISDIR', path: path.join(dir, 'notes') });
    expect((err as StoreError).message).toMatch(/: it is a folder \(EISDIR\)/);
    expect(readdirSync(dir)).toEqual(['notes']);
  });

  it('over the file size limit (ulimit -f: a real failure in the middle of a write), in a child: EFBIG, no temporary', async () => {
    const dir = fresh();
    const file = path.join(dir, 'big.bin');
    const script = `
      const { writeStreamAtomic } = await import(${JSON.stringify(path.join(ROOT, 'src/store/atomic.ts'))});
      try { await writeStreamAtomic(${JSON.stringify(file)}, [Buffer.alloc(300_000)]); console.log('written'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, exitCode: e.exitCode })); }`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn('bash', ['-c', `ulimit -f 64; exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script], { cwd: ROOT });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', () => resolve(text.trim()));
    });
    expect(JSON.parse(out)).toEqual({ name: 'StoreError', code: 'EFBIG', exitCode: EXIT.io });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('an interrupted run leaves no temporary', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s in the middle of a streamed write: the exit hook removes the temporary', async (signal) => {
    const dir = fresh();
    const file = path.join(dir, 'batch.jsonl');
    // The child streams one chunk, says so, then waits for more that never comes; on the signal it
    // does what the CLI does on its way out.
    const script = `
      const { writeStreamAtomic } = await import(${JSON.stringify(path.join(ROOT, 'src/store/atomic.ts'))});
      const { removePendingTemps } = await import(${JSON.stringify(path.join(ROOT, 'src/store/pending.ts'))});
      for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => { removePendingTemps(); process.exit(s === 'SIGTERM' ? 143 : 130); });
      async function* lines() { yield 'x'.repeat(100_000); console.log('streaming'); await new Promise(() => setInterval(() => {}, 1000)); }
      await writeStreamAtomic(${JSON.stringify(file)}, lines());`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('streaming') && resolve()));
    const during = readdirSync(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.batch\.jsonl\.[0-9a-f]{12}\.tmp$/);
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: signal === 'SIGTERM' ? 143 : 130, stderr: '' });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('storeError', () => {
  it.each([
    ['ENOSPC', 'no space left on the device', /Free some space on the disk that holds \/s\/sessions/],
    ['EROFS', 'the file system is read-only', /KIMI_VISION_HOME/],
    ['ENAMETOOLONG', 'the name is too long for this file system', /shorter/],
    ['EMFILE', 'too many open files', /ulimit -n/],
    ['EWHATEVER', 'the system refused', /Try again/],
  ])('%s', (code, words, hint) => {
    const err = storeError(Object.assign(new Error('x'), { code }), '/s/sessions/a.json');
    expect(err.message).toBe(`cannot write /s/sessions/a.json: ${words} (${code}).`);
    expect(err.hint).toMatch(hint);
    expect(err.exitCode).toBe(74);
  });
});
