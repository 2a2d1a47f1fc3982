// Concurrent runs lose no updates: a read-modify-write of a kept file (a session continued, `config
// set`) runs under `<file>.lock`, a file created with O_EXCL that says who holds it. Another run waits
// for it a bounded time (polling with backoff), then is refused with a LockedError naming the holder.
// A lock left by a run that died is stale and recovered: its pid is not alive on this host, or its
// file was not touched for `staleMs` (a live holder touches it every staleMs / 4, so only a dead one,
// a reused pid or one on another host that stopped, gets that old). Two runs recovering the same stale
// lock cannot both win: the removal happens under a second, short-lived lock (`<file>.lock.break`),
// after checking that the lock is still the very one judged stale. The lock is removed when `fn` ends,
// whatever it does, and by the exit hook (pending.ts) when the run is interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { LockedError } from '../errors.js';
import { folderMode } from './atomic.js';
import { onAbruptExit } from './pending.js';
import { storeError } from './store-error.js';

export interface LockOptions {
  /** Longest wait for a live holder before refusing (default 10 s). */
  waitMs?: number;
  /** A lock untouched for this long is stale, whoever holds it (default 60 s). */
  staleMs?: number;
  /** What the lock protects, for the refusal ("the session 20261201-…"); default the file's path. */
  what?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a lock file says (parsed), and which file it is (to tell a replaced lock apart). */
export interface LockInfo {
  holder: { pid: number; host: string; started: string; token: string } | undefined;
  ino: number;
  mtimeMs: number;
}

const BREAK_STALE_MS = 10_000;

export async function withLock<T>(target: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const held = await acquire(`${target}.lock`, opts, target);
  try {
    return await fn();
  } finally {
    held.release();
  }
}

/** Whether a lock is stale: untouched for `staleMs`, or held by a pid that is gone on this host. */
export function lockIsStale(info: LockInfo, at: { now: number; host: string; staleMs: number; alive: (pid: number) => boolean }): boolean {
  if (at.now - info.mtimeMs > at.staleMs) return true;
  const h = info.holder;
  return h !== undefined && h.host === at.host && !at.alive(h.pid);
}

/** Whether a process runs (on this host): signal 0 tests without sending; EPERM is someone else's live one. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(lock: string, o: LockOptions, target: string): Promise<{ release: () => void }> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const staleMs = o.staleMs ?? 60_000;
  const deadline = now() + (o.waitMs ?? 10_000);
  const host = hostname();
  try {
    fs.mkdirSync(path.dirname(lock), { recursive: true, mode: folderMode(0o600) });
  } catch (err) {
    throw storeError(err, target); // the folder of the file itself cannot be made: say so of the file
  }
  for (let delay = 10; ; ) {
    const held = tryCreate(lock, host, staleMs);
    if (held) return held;
    const info = readLock(lock);
    if (!info) continue; // released meanwhile: try again at once
    if (lockIsStale(info, { now: now(), host, staleMs, alive: pidAlive })) {
      breakStale(lock, info);
      continue;
    }
    const left = deadline - now();
    if (left <= 0) throw refusal(lock, target, info, o);
    await sleep(Math.min(left, delay * (0.75 + Math.random() / 2)));
    delay = Math.min(delay * 2, 200);
  }
}

/** Creates the lock with O_EXCL; undefined when another holds it. */
function tryCreate(lock: string, host: string, staleMs: number): { release: () => void } | undefined {
  const token = `${process.pid}-${Math.random().toString(36).slice(2, 12)}`;
  let fd: number;
  try {
    fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw storeError(err, lock, 'lock');
  }
  // Registered in the same synchronous step as the creation: no signal can come between.
  const release = () => removeIfOurs(lock, token);
  const forget = onAbruptExit(release);
  try {
    fs.writeSync(fd, `${JSON.stringify({ pid: process.pid, host, started: new Date().toISOString(), token })}\n`);
  } catch (err) {
    forget();
    fs.closeSync(fd);
    unlinkQuietly(lock); // ours, just made, but without its content (a full disk)
    throw storeError(err, lock, 'lock');
  }
  fs.closeSync(fd);
  // A holder touches its lock, so a long `fn` is never taken for a dead run.
  const beat = setInterval(() => fs.utimes(lock, new Date(), new Date(), () => {}), Math.max(staleMs / 4, 10));
  beat.unref();
  return {
    release: () => {
      clearInterval(beat);
      forget();
      release();
    },
  };
}

/** The lock as it is now; undefined when there is none. Content not (yet) readable: holder unknown. */
function readLock(lock: string): LockInfo | undefined {
  let fd: number;
  try {
    fd = fs.openSync(lock, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeError(err, lock, 'lock');
  }
  try {
    // One open file for both, so the content and the identity are of the same lock.
    const st = fs.fstatSync(fd);
    const text = fs.readFileSync(fd, 'utf8');
    return { holder: parseHolder(text), ino: st.ino, mtimeMs: st.mtimeMs };
  } catch (err) {
    throw storeError(err, lock, 'lock');
  } finally {
    fs.closeSync(fd);
  }
}

function parseHolder(text: string): LockInfo['holder'] {
  try {
    const h = JSON.parse(text) as Record<string, unknown>;
    const ok = Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.started === 'string' && typeof h.token === 'string';
    return ok ? (h as NonNullable<LockInfo['holder']>) : undefined;
  } catch {
    return undefined; // being written by its creator, or not a lock of ours
  }
}

/** Removes the stale lock `seen`, unless another recoverer did first (or it was replaced meanwhile). */
function breakStale(lock: string, seen: LockInfo): void {
  const breaker = `${lock}.break`;
  try {
    fs.closeSync(fs.openSync(breaker, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storeError(err, lock, 'lock');
    // Another recoverer is at it (for microseconds), or died there: only a breaker that old is removed.
    // (Two runs removing one dead breaker at once could then both recover: a crash inside a
    // microsecond window, followed by a race within another; accepted.)
    const st = statOrUndefined(breaker);
    if (st && Date.now() - st.mtimeMs > BREAK_STALE_MS) unlinkQuietly(breaker);
    return;
  }
  try {
    const now = readLock(lock);
    if (now && now.ino === seen.ino && now.holder?.token === seen.holder?.token) unlinkQuietly(lock);
  } finally {
    unlinkQuietly(breaker);
  }
}

function removeIfOurs(lock: string, token: string): void {
  let text: string;
  try {
    text = fs.readFileSync(lock, 'utf8');
  } catch {
    return; // gone already
  }
  // A lock recovered from us (we were judged stale) is someone else's now: not ours to remove.
  if (parseHolder(text)?.token === token) unlinkQuietly(lock);
}

function refusal(lock: string, target: string, info: LockInfo, o: LockOptions): LockedError {
  const h = info.holder;
  const who = h ? `another kimi-vision run (pid ${h.pid} on ${h.host}, since ${h.started})` : 'another kimi-vision run';
  const ms = o.waitMs ?? 10_000;
  const waited = (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
  return new LockedError(
    target,
    `${o.what ?? target} is in use by ${who}; waited ${waited} s.`,
    `Let that run finish, then try again. If no such run exists any more, remove the lock: rm ${lock}`,
  );
}

function hostname(): string {
  return process.getBuiltinModule('node:os').hostname();
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function unlinkQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // gone already
  }
}
