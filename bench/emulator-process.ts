// The emulator in a process of its own (bench/emulator-child.ts), driven over IPC: the throughput,
// flat-memory and scale cases measure the CLI against a server that does not share the bench's
// event loop (or its two cores' worth of scheduling) with the bench itself. Only options that
// survive JSON cross the channel; the wire case, which needs the onSseEvent hook on the bench's
// own clock, keeps the emulator in the bench process.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { EmulatorOptions } from '../test/emulator/types.js';
import { ROOT } from './measure.js';

const CHILD = path.join(ROOT, 'bench', 'emulator-child.ts');

/** The options that can be sent to the child (no functions, no TLS material). */
export type PlainOptions = Omit<EmulatorOptions, 'reply' | 'onRequestEnd' | 'onSseEvent' | 'tls'>;

/** What the bench needs of one logged chat request (the child keeps the whole log). */
export interface SlimRequest {
  status: number | undefined;
  /** sha256 of the request's first image, if it had one. */
  sha256: string | undefined;
  images: number;
  bodyBytes: number;
  startedAt: number;
  endedAt: number | undefined;
}

export type Call =
  /** `unset`: the options given as undefined (JSON would drop them, and the child would keep the old value). */
  | { id: number; op: 'set'; options: Partial<PlainOptions>; unset: string[] }
  | { id: number; op: 'reset' }
  | { id: number; op: 'chatRequests' }
  | { id: number; op: 'peakInFlight' };

/** A call without its id (Omit itself does not distribute over a union). */
type WithoutId<C> = C extends unknown ? Omit<C, 'id'> : never;
type CallBody = WithoutId<Call>;

export type Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

export interface RemoteEmulator {
  baseUrl: string;
  /** The child's process id (its CPU time is the emulator's share of a run). */
  pid: number;
  set(options: Partial<PlainOptions>): Promise<void>;
  reset(): Promise<void>;
  chatRequests(): Promise<SlimRequest[]>;
  peakInFlight(): Promise<number>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: PlainOptions = {}): Promise<RemoteEmulator> {
  const child = fork(CHILD, [JSON.stringify(options)], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    // The child's stderr stays the bench's (a crash is seen); it prints nothing else.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the emulator process exited (${code}) before it listened`));
    child.once('exit', onExit);
    child.once('message', (m: { ready?: string }) => {
      child.off('exit', onExit);
      if (typeof m.ready === 'string') resolve(m.ready);
      else reject(new Error('the emulator process sent no base URL'));
    });
  });
  return remote(child, baseUrl);
}

function remote(child: ChildProcess, baseUrl: string): RemoteEmulator {
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(new Error(`emulator process: ${m.error}`));
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the emulator process exited (${code})`));
    waiting.clear();
  });
  const call = <T>(c: CallBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...c, id });
    });
  return {
    baseUrl,
    pid: child.pid ?? 0,
    set: (options) => call({ op: 'set', options, unset: Object.keys(options).filter((k) => options[k as keyof PlainOptions] === undefined) }),
    reset: () => call({ op: 'reset' }),
    chatRequests: () => call({ op: 'chatRequests' }),
    peakInFlight: () => call({ op: 'peakInFlight' }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect(); // the child closes its server and exits when the channel closes
      }),
  };
}
