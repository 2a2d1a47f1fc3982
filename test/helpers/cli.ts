// Runs the CLI the two ways tests need: in-process with a fake io, or as the real bin in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/run.js';
import type { Io } from '../../src/io.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'kimi-vision.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');

/** A fresh HOME / XDG tree so no test reads or writes the developer's own config, cache or state. */
export function isolatedHome(): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), 'kv-home-'));
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
  };
}

class Sink extends Writable {
  text = '';
  isTTY: boolean;
  columns = 80;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
  // What ora calls on a TTY stream to redraw its line; a line break stands in for the redraw.
  cursorTo(_x: number, _y?: number | (() => void), cb?: () => void) {
    (typeof _y === 'function' ? _y : cb)?.();
    return true;
  }
  clearLine(_dir: number, cb?: () => void) {
    this.text += '\n';
    cb?.();
    return true;
  }
  moveCursor(_dx: number, _dy: number, cb?: () => void) {
    cb?.();
    return true;
  }
}

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  stdin?: Buffer | string;
  stdinTTY?: boolean;
  stderrTTY?: boolean;
  /** The width stderr reports (80 unless given; 0 is a terminal nobody sized). */
  stderrColumns?: number;
  cwd?: string;
  signal?: AbortSignal;
  /** Keep ANSI codes in stderr (to test colours). */
  rawStderr?: boolean;
}

/** Runs `kimi-vision <args>` in this process with captured stdout/stderr. */
export async function runInProcess(args: string[], o: InProcessOptions = {}): Promise<Result> {
  const stdout = new Sink(false);
  const stderr = new Sink(o.stderrTTY ?? false);
  if (o.stderrColumns !== undefined) stderr.columns = o.stderrColumns;
  const stdin = (o.stdin !== undefined ? Readable.from([Buffer.from(o.stdin)]) : new PassThrough()) as Readable & { isTTY?: boolean };
  if (o.stdin === undefined) (stdin as PassThrough).end();
  stdin.isTTY = o.stdinTTY ?? o.stdin === undefined;
  const io: Io = {
    stdout,
    stderr,
    stdin,
    env: { ...isolatedHome(), ...o.env },
    cwd: o.cwd ?? ROOT,
    monotonicMs: () => performance.now(),
    epochMs: () => Date.now(),
    signal: o.signal ?? new AbortController().signal,
  };
  const code = await run(args, io);
  return { code, stdout: stdout.text, stderr: o.rawStderr ? stderr.text : stripAnsi(stderr.text) };
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  stdin?: Buffer | string;
  cwd?: string;
  /** Called with the child once started (to send signals). */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
  /** Called with each stdout chunk as it arrives. */
  onStdout?: (text: string) => void;
  /** A file the child reads as stdin (e.g. /dev/zero), instead of `stdin`. */
  stdinFile?: string;
  /** A command the bin runs under, e.g. setpriv to drop root (as another user, file modes apply). */
  wrap?: string[];
  /** A file the child writes its stdout to (e.g. /dev/full), instead of a pipe read into `stdout`. */
  stdoutFile?: string;
}

/** Spawns the real bin/kimi-vision.js; resolves when it exits. */
export function runBin(args: string[], o: SpawnOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { PATH: process.env.PATH, ...isolatedHome(), ...o.env };
    const [command, ...before] = o.wrap ? [...o.wrap, process.execPath] : [process.execPath];
    const stdin = o.stdinFile ? openSync(o.stdinFile, 'r') : 'pipe';
    const out = o.stdoutFile ? openSync(o.stdoutFile, 'w') : 'pipe';
    const child = spawn(command as string, [...before, BIN, ...args], {
      cwd: o.cwd ?? ROOT,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: [stdin, out, 'pipe'],
    }) as ChildProcess & { stdout: Readable | null; stderr: Readable };
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof out === 'number') closeSync(out);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      o.onStdout?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr: stripAnsi(stderr) }));
    o.onSpawn?.(child);
    if (o.stdin !== undefined) child.stdin?.end(o.stdin);
    else child.stdin?.end();
  });
}

/** An onSpawn hook: sends `signal` to the child as soon as the emulator has a request in flight. */
export function signalWhenInFlight(emu: { readonly inFlight: number }, signal: NodeJS.Signals): SpawnOptions['onSpawn'] {
  return (child) => {
    const poll = setInterval(() => {
      if (emu.inFlight > 0) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 20);
    child.once('exit', () => clearInterval(poll));
  };
}
