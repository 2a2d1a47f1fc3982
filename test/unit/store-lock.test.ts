// Locks: concurrent runs (real child processes) lose no update; a lock left by a killed run is
// recovered, by one recoverer only; a live holder makes the other run wait, then refuse, saying who.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, LockedError } from '../../src/errors.js';
import { lockIsStale, withLock, type LockInfo } from '../../src/store/lock.js';
import { pendingCount } from '../../src/store/pending.js';
import { currentIdentity } from '../../src/store/state-file.js';
import { replaceIfUnchanged, updateFile } from '../../src/store/update.js';
import { ROOT } from '../helpers/cli.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'kv-lock-'));
const NO_SUCH_PID = 99_999_999; // above any pid_max: never alive
const caught = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => new Error('did not fail'),
    (e: unknown) => e,
  );
const src = (f: string) => JSON.stringify(path.join(ROOT, 'src', 'store', f));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A node child running `script` (ES module; it may import the store's TypeScript). */
function child(script: string): { proc: ChildProcess; said: (text: string) => Promise<void>; exit: Promise<number | null>; out: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
  children.push(proc);
  let out = '';
  const waiters: [string, () => void][] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const [text, resolve] of waiters) if (out.includes(text)) resolve();
  });
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    proc,
    said: (text) => new Promise<void>((resolve) => (out.includes(text) ? resolve() : waiters.push([text, resolve]))),
    exit: new Promise((resolve) => proc.on('close', resolve)),
    out: () => out,
  };
}

/** A child that takes the lock of `target`, says "holding", and keeps it until killed. */
const holder = (target: string, exitHook: boolean) =>
  child(`
    const { withLock } = await import(${src('lock.ts')});
    const { removePendingTemps } = await import(${src('pending.ts')});
    ${exitHook ? "process.on('SIGTERM', () => { removePendingTemps(); process.exit(143); });" : ''}
    await withLock(${JSON.stringify(target)}, () => { console.log('holding'); return new Promise(() => setInterval(() => {}, 1000)); });`);

function staleLock(target: string, holder: object, ageMs = 0): void {
  writeFileSync(`${target}.lock`, JSON.stringify({ host: hostname(), started: '2026-12-01T10:00:00.000Z', token: 'old', ...holder }));
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(`${target}.lock`, t, t);
}

describe('lockIsStale', () => {
  const info = (holder: Partial<NonNullable<LockInfo['holder']>> | undefined, ageMs: number): LockInfo => ({
    holder: holder && { pid: 1, host: 'here', started: 's', token: 't', ...holder },
    ino: 1,
    mtimeMs: 1_000_000 - ageMs,
  });
  const at = { now: 1_000_000, host: 'here', staleMs: 60_000, alive: (pid: number) => pid === 42 };
  it.each([
    ['a live holder on this host', info({ pid: 42 }, 1000), false],
    ['a dead holder on this host', info({ pid: 7 }, 1000), true],
    ['a live pid, but untouched past the bound (a reused pid)', info({ pid: 42 }, 61_000), true],
    ['another host, recent (its pid means nothing here)', info({ pid: 7, host: 'there' }, 1000), false],
    ['another host, untouched past the bound', info({ pid: 7, host: 'there' }, 61_000), true],
    ['unreadable content (being written), recent', info(undefined, 1000), false],
    ['unreadable content, untouched past the bound', info(undefined, 61_000), true],
  ])('%s: %s', (_name, lock, stale) => {
    expect(lockIsStale(lock, at)).toBe(stale);
  });
});

describe('withLock', () => {
  it('holds <target>.lock (pid, host, start time) while fn runs, and removes it after, even when fn throws', async () => {
    const target = path.join(fresh(), 'config.json');
    const seen = await withLock(target, async () => JSON.parse(readFileSync(`${target}.lock`, 'utf8')) as Record<string, unknown>);
    expect(seen).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Date.parse(seen.started as string)).not.toBeNaN();
    expect(existsSync(`${target}.lock`)).toBe(false);
    await expect(withLock(target, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(`${target}.lock`)).toBe(false);
    expect(pendingCount()).toBe(0);
  });

  it('concurrent read-modify-write by three processes, from a stale lock: every update lands, never two inside at once', async () => {
    const dir = fresh();
    const target = path.join(dir, 'counter.json');
    writeFileSync(target, JSON.stringify({ n: 0, log: [] }));
    staleLock(target, { pid: NO_SUCH_PID }); // left by a run that died: all three race to recover it
    const ROUNDS = 50;
    const run = (id: string) =>
      child(`
        import fs from 'node:fs';
        const { updateFile } = await import(${src('update.ts')});
        const inside = ${JSON.stringify(path.join(dir, 'inside'))};
        for (let i = 0; i < ${ROUNDS}; i++) {
          await updateFile(${JSON.stringify(target)}, async (text) => {
            fs.closeSync(fs.openSync(inside, 'wx')); // throws EEXIST if another process is inside too
            const c = JSON.parse(text);
            await new Promise((r) => setImmediate(r)); // let the others try meanwhile
            fs.unlinkSync(inside);
            return JSON.stringify({ n: c.n + 1, log: [...c.log, '${id}' + i] });
          }, { waitMs: 60000 });
          await new Promise((r) => setTimeout(r, 1)); // separate runs, not one tight loop that starves the others
        }
        console.log('done');`);
    const runs = ['a', 'b', 'c'].map(run);
    const codes = await Promise.all(runs.map((r) => r.exit));
    expect(codes, runs.map((r) => r.out()).join('\n')).toEqual([0, 0, 0]);
    const final = JSON.parse(readFileSync(target, 'utf8')) as { n: number; log: string[] };
    expect(final.n).toBe(3 * ROUNDS);
    for (const id of ['a', 'b', 'c']) expect(final.log.filter((x) => x.startsWith(id))).toEqual(Array.from({ length: ROUNDS }, (_, i) => `${id}${i}`));
    expect(readdirSync(dir)).toEqual(['counter.json']);
  }, 60_000); // three node processes on a loaded machine

  it('a lock left by a killed run (SIGKILL: no exit hook ran) is recovered at once, not waited out', async () => {
    const target = path.join(fresh(), 'session.json');
    const h = holder(target, false);
    await h.said('holding');
    h.proc.kill('SIGKILL');
    await h.exit;
    expect(existsSync(`${target}.lock`)).toBe(true);
    // waiting out the 60 s would fail this test by its timeout
    expect(await withLock(target, async () => 'ran', { waitMs: 60_000 })).toBe('ran');
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('an interrupted run (SIGTERM) removes its lock on the way out', async () => {
    const target = path.join(fresh(), 'session.json');
    const h = holder(target, true);
    await h.said('holding');
    expect(existsSync(`${target}.lock`)).toBe(true);
    h.proc.kill('SIGTERM');
    expect(await h.exit).toBe(143);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('a live holder: the other run waits its bounded time, then is refused saying who holds it and what to do', async () => {
    const target = path.join(fresh(), 'config.json');
    const h = holder(target, false);
    await h.said('holding');
    let ran = false;
    const err = await caught(withLock(target, async () => (ran = true), { waitMs: 300, what: 'the config file' }));
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).exitCode).toBe(EXIT.temporary);
    expect((err as LockedError).message).toMatch(
      new RegExp(`^the config file is in use by another kimi-vision run \\(pid ${h.proc.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); waited 0\\.3 s\\.$`),
    );
    expect((err as LockedError).hint).toBe(`Let that run finish, then try again. If no such run exists any more, remove the lock: rm ${target}.lock`);
  });

  it.each([
    ['held by a live pid but untouched for longer than the bound (a reused pid)', { pid: process.ppid }, 120_000, true],
    ['unreadable (being written) and old', { pid: 'x' }, 120_000, true],
    ['unreadable (being written) and recent', { pid: 'x' }, 0, false],
    ['from another host, recent', { pid: NO_SUCH_PID, host: 'elsewhere' }, 0, false],
  ])('a lock %s: recovered = %s', async (_name, lock, ageMs, recovered) => {
    const target = path.join(fresh(), 'state.json');
    staleLock(target, lock, ageMs);
    const result = await withLock(target, async () => 'ran', { waitMs: 200 }).catch((e: unknown) => e);
    expect(result).toEqual(recovered ? 'ran' : expect.any(LockedError));
  });

  it('a holder touches its lock while it works, so a long run is not taken for a dead one', async () => {
    const target = path.join(fresh(), 'session.json');
    await withLock(
      target,
      async () => {
        utimesSync(`${target}.lock`, 0, 0);
        for (let i = 0; i < 200 && statSync(`${target}.lock`).mtimeMs === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(statSync(`${target}.lock`).mtimeMs).toBeGreaterThan(0);
      },
      { staleMs: 100 },
    );
  });

  it('a lock taken over by another run (ours was judged stale) is not removed by us', async () => {
    const target = path.join(fresh(), 'session.json');
    await withLock(target, async () => writeFileSync(`${target}.lock`, JSON.stringify({ pid: 1, host: 'h', started: 's', token: 'theirs' })));
    expect(JSON.parse(readFileSync(`${target}.lock`, 'utf8'))).toMatchObject({ token: 'theirs' });
  });
});

describe('updateFile and replaceIfUnchanged', () => {
  it('updateFile changes what is there now; undefined leaves it', async () => {
    const file = path.join(fresh(), 'config.json');
    expect(await updateFile(file, (t) => (t === undefined ? '{"a":1}' : undefined), { mode: 0o600 })).toBe('{"a":1}');
    expect(await updateFile(file, () => undefined)).toBe('{"a":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('replaceIfUnchanged writes over the file it read, and refuses when another run saved it meanwhile', async () => {
    const file = path.join(fresh(), 'session.json');
    await replaceIfUnchanged(file, undefined, 'turn 1'); // there was none, there is none: written
    const seen = currentIdentity(file);
    await replaceIfUnchanged(file, seen, 'turn 1, 2');
    expect(readFileSync(file, 'utf8')).toBe('turn 1, 2');
    // a run that read before that save: refused, nothing overwritten
    const err = await caught(replaceIfUnchanged(file, seen, 'turn 1, 2b', { what: 'the session s1' }));
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).message).toBe('the session s1 was changed by another run while this one worked; it was not overwritten.');
    expect(readFileSync(file, 'utf8')).toBe('turn 1, 2');
    // a run that saw no file, when one appeared meanwhile: refused too
    await expect(replaceIfUnchanged(file, undefined, 'x')).rejects.toBeInstanceOf(LockedError);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
