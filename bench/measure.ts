// Spawning a command and measuring it: wall time (hrtime, spawn to exit), peak RSS (GNU time -v, or a
// preloaded hook reading process.resourceUsage().maxRSS), and when stdout's first byte arrived.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'kimi-vision.js');
export const NODE = process.execPath;
const RSS_HOOK = path.join(ROOT, 'bench', 'maxrss.mjs');

/** How peak RSS is measured on this machine. */
export type RssMethod = 'gnu-time' | 'node-hook';

export interface Measured {
  code: number;
  wallMs: number;
  /** Peak resident set size in bytes, when asked for. */
  peakRss?: number;
  /** User + system CPU time of the child in ms (with GNU time only). */
  cpuMs?: number;
  stdout: string;
  stderr: string;
  /** performance.now() when the first stdout byte reached this process. */
  firstStdoutAt?: number;
  startedAt: number;
}

export interface SpawnMeasured {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  rss?: RssMethod;
  /** Keep stdout (default true; false drops it to keep memory low). */
  keepStdout?: boolean;
  /** Called with each stdout chunk and performance.now() when it arrived. */
  onStdout?: (chunk: Buffer, at: number) => void;
}

/**
 * A minimal child environment: PATH, an isolated HOME, and what the case adds. NODE_EXTRA_CA_CERTS
 * and NODE_OPTIONS are never passed on (a CA bundle adds tens of ms to every Node start). Node's
 * compile cache (which the shim enables) goes to a folder of this environment's own, so the runs of
 * a case share one warmed by their first run, and no other program's cache (Node's default is one
 * folder in /tmp for everything) decides what is in it.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), 'kv-bench-home-'));
  homes.push(home);
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    NODE_COMPILE_CACHE: path.join(home, '.cache', 'node-compile-cache'),
    LANG: 'C.UTF-8',
    ...extra,
  };
}

const homes: string[] = [];

/** Removes the HOME folders childEnv made (the bench calls it once at the end). */
export function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

export function run(o: SpawnMeasured): Promise<Measured> {
  let cmd = o.cmd;
  let args = o.args;
  let rssFile: string | undefined;
  const env = { ...o.env };
  if (o.rss) {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-bench-rss-'));
    rssFile = path.join(dir, 'rss');
    if (o.rss === 'gnu-time') {
      args = ['-v', '-o', rssFile, cmd, ...args];
      cmd = '/usr/bin/time';
    } else {
      if (cmd !== NODE) throw new Error(`peak RSS without GNU time works only for node commands, not ${cmd}`);
      args = ['--import', RSS_HOOK, ...args];
      env.KV_BENCH_MAXRSS_FILE = rssFile;
    }
  }
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let firstStdoutAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      const at = performance.now();
      firstStdoutAt ??= at;
      o.onStdout?.(d, at);
      if (o.keepStdout !== false) out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - startedAt;
      let peakRss: number | undefined;
      let cpuMs: number | undefined;
      if (rssFile) {
        ({ peakRss, cpuMs } = readRss(rssFile, o.rss as RssMethod));
        rmSync(path.dirname(rssFile), { recursive: true, force: true });
      }
      resolve({
        code: code ?? (signal ? 128 : -1),
        wallMs,
        ...(peakRss !== undefined ? { peakRss } : {}),
        ...(cpuMs !== undefined ? { cpuMs } : {}),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(firstStdoutAt !== undefined ? { firstStdoutAt } : {}),
        startedAt,
      });
    });
  });
}

function readRss(file: string, method: RssMethod): { peakRss?: number; cpuMs?: number } {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const kb = method === 'gnu-time' ? /Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1] : text.trim();
  const seconds = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(text)?.[1] ?? NaN);
  const cpu = method === 'gnu-time' ? (seconds('User') + seconds('System')) * 1000 : NaN;
  return { ...(kb ? { peakRss: Number(kb) * 1024 } : {}), ...(Number.isFinite(cpu) ? { cpuMs: cpu } : {}) };
}

/** Runs a measured command and fails loudly when it did not exit 0. */
/** Where onOwnCpu put the emulator and the client, and a command made to run on the client's CPU. */
export interface Pinned {
  server: number;
  client: number;
  onClient: (t: { cmd: string; args: string[] }) => { cmd: string; args: string[] };
}

/** The CPUs a process may run on, from `taskset -pc` ("pid 12's current affinity list: 0,2-3"). */
function affinityOf(pid: number): { list: string; cpus: number[] } | undefined {
  const r = spawnSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  const list = r.status === 0 ? /list:\s*(\S+)/.exec(r.stdout)?.[1] : undefined;
  if (!list) return undefined;
  const cpus = list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: (b as number) - a + 1 }, (_, k) => a + k);
  });
  return { list, cpus };
}

/**
 * Runs `body` with process `pid` (the emulator's: the bench's own in the wire case, its child's
 * elsewhere) and all its threads on the first CPU it may use, for commands that `body` starts on the
 * second (`taskset -c`): the server on a core of its own, as a remote one would be. Its affinity is
 * put back afterwards. Undefined, without running it, where there is no taskset or one CPU only.
 */
export async function onOwnCpu<T>(pid: number, body: (p: Pinned) => Promise<T>): Promise<T | undefined> {
  const was = affinityOf(pid);
  const [server, client] = was?.cpus ?? [];
  const set = (list: string) => spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' }).status === 0;
  if (!was || server === undefined || client === undefined || !set(String(server))) return undefined;
  try {
    return await body({ server, client, onClient: (t) => ({ cmd: 'taskset', args: ['-c', String(client), t.cmd, ...t.args] }) });
  } finally {
    set(was.list);
  }
}

export async function runOk(o: SpawnMeasured): Promise<Measured> {
  const r = await run(o);
  if (r.code !== 0) {
    throw new Error(`${path.basename(o.cmd)} ${o.args.slice(0, 3).join(' ')}… exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return r;
}

function gnuTimeWorks(): boolean {
  if (!existsSync('/usr/bin/time')) return false;
  const r = spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8' });
  return r.status === 0 && r.stderr.includes('Maximum resident set size');
}

/**
 * GNU time when it is there; as root with apt-get, installs it (`time` package); otherwise the Node
 * hook (node commands only). Returns the method and a note for the report.
 */
export function pickRssMethod(log: (line: string) => void): { method: RssMethod; note: string } {
  if (gnuTimeWorks()) return { method: 'gnu-time', note: 'peak RSS: /usr/bin/time -v "Maximum resident set size"' };
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    log('bench: /usr/bin/time missing; installing it (apt-get install -y time)…');
    const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: 'ignore', timeout: 120_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (apt(['install', '-y', '-qq', 'time']).status !== 0) {
      apt(['update', '-qq']);
      apt(['install', '-y', '-qq', 'time']);
    }
    if (gnuTimeWorks()) return { method: 'gnu-time', note: 'peak RSS: /usr/bin/time -v (installed by the bench)' };
  }
  return {
    method: 'node-hook',
    note: 'peak RSS: process.resourceUsage().maxRSS read at exit by a preloaded hook (GNU time not available)',
  };
}

export function commandVersion(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      ?.trim();
  } catch {
    return undefined;
  }
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) throw new Error('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number, n: s.length };
}
