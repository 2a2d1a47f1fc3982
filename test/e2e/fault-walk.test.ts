// Every command walked over a table of faults (a misbehaving server, a broken environment): whatever
// happens, the exit code is one the README documents and never 1, stderr holds no stack trace, no
// temporary or partial file is left in any folder the tool writes, and the key shows nowhere.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { EmulatorOptions, Fault } from '../emulator/types.js';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runBin, type Result } from '../helpers/cli.js';

const KEY = 'sk-WALK-5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b';
const emu = useEmulator();
const DOCUMENTED = new Set<number>(Object.values(EXIT).filter((c) => c !== EXIT.internal));

/** A folder with two images (one of them twice the other's size), as --each, diff and batch take. */
function imagesFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-walk-'));
  for (const name of ['a.png', 'b.png']) writeFileSync(path.join(dir, name), readFileSync(path.join(FIXTURES, 'small.png')));
  return dir;
}

type Setup = { env?: Record<string, string>; emulator?: Partial<EmulatorOptions>; stdoutToFull?: boolean };

/** The faults: what the server does, or what the environment is. */
const FAULTS: [string, (home: Record<string, string>) => Setup][] = [
  ['no fault', () => ({})],
  ['HTTP 200 with a JSON error body', () => ({ emulator: { alwaysFault: { kind: 'json-error-200', type: 'invalid_request_error', message: 'bad' } as Fault } })],
  ['an endless error body', () => ({ emulator: { alwaysFault: { kind: 'endless-error-body', status: 400 } as Fault } })],
  ['an unreadable content encoding', () => ({ emulator: { alwaysFault: { kind: 'gzip', encoding: 'x-weird' } as Fault } })],
  ['a redirect', () => ({ emulator: { alwaysFault: { kind: 'redirect', status: 307 } as Fault } })],
  ['the connection reset', () => ({ emulator: { alwaysFault: { kind: 'reset' } } })],
  ['a rejected key', () => ({ emulator: { alwaysFault: { kind: 'error', status: 401, type: 'invalid_authentication_error', message: 'Invalid Authentication' } } })],
  ['a balance used up', () => ({ emulator: { balance: 0 } })],
  ['a gateway that knows no /v1', () => ({ env: { MOONSHOT_BASE_URL: emu.baseUrl.replace(/\/v1$/, '') } })],
  [
    'a state folder that is a file',
    (home) => {
      mkdirSync(path.dirname(home.XDG_STATE_HOME as string), { recursive: true });
      writeFileSync(home.XDG_STATE_HOME as string, 'not a folder');
      return {};
    },
  ],
  [
    'a damaged config file',
    (home) => {
      mkdirSync(path.join(home.XDG_CONFIG_HOME as string, 'kimi-vision'), { recursive: true });
      writeFileSync(path.join(home.XDG_CONFIG_HOME as string, 'kimi-vision', 'config.json'), '[]');
      return {};
    },
  ],
  ['stdout on a full disk', () => ({ stdoutToFull: true })],
];

/** The commands, each as argv given a folder of images. */
const COMMANDS: [string, (dir: string) => string[], string?][] = [
  ['describe', (d) => ['describe', path.join(d, 'a.png')]],
  ['describe --each --cache --write', (d) => ['describe', '--each', '--cache', '--write', 'txt', d]],
  ['chat (piped)', (d) => ['chat', path.join(d, 'a.png'), '-q'], 'what is it?\n'],
  ['diff', (d) => ['diff', path.join(d, 'a.png'), path.join(FIXTURES, 'photo.jpg')]],
  ['models', () => ['models']],
  ['balance', () => ['balance']],
  ['batch submit', (d) => ['batch', 'submit', d]],
  ['config list', () => ['config', 'list']],
  ['sessions', () => ['sessions']],
];

function filesUnder(dir: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [dir];
  return readdirSync(dir).flatMap((name) => filesUnder(path.join(dir, name)));
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) chmodSync(dir, 0o700);
});
beforeEach(() => {
  emu.reset();
  emu.set({ alwaysFault: undefined, balance: undefined, reply: undefined });
});

describe('every command, every fault', () => {
  for (const [faultName, setup] of FAULTS) {
    it(`${faultName}: a documented exit code (never 1), no stack trace, no temporary file, the key nowhere`, async () => {
      const seen: string[] = [];
      for (const [name, argv, stdin] of COMMANDS) {
        const home = isolatedHome();
        const dir = imagesFolder();
        temps.push(dir);
        const s = setup(home);
        emu.set({ alwaysFault: undefined, balance: undefined, ...s.emulator });
        const env = { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, KIMI_VISION_DEBUG: '1', ...home, ...s.env };
        const r: Result = await runBin(argv(dir), { env, cwd: dir, ...(stdin !== undefined ? { stdin } : {}), ...(s.stdoutToFull ? { stdoutFile: '/dev/full' } : {}) });
        const what = `${name} with ${faultName} -> ${r.code}\n${r.stderr}`;
        seen.push(what);
        expect(DOCUMENTED.has(r.code), what).toBe(true);
        expect(r.stderr, what).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
        const written = [...filesUnder(home.HOME as string), ...filesUnder(dir)];
        expect(
          written.filter((f) => /\.tmp$|\.lock$/.test(f)),
          what,
        ).toEqual([]);
        for (const f of written) {
          if (f === path.join(home.XDG_STATE_HOME as string)) continue;
          expect(readFileSync(f).includes(KEY), `${what}\nthe key is in ${f}`).toBe(false);
        }
        expect(`${r.stdout}${r.stderr}`.includes(KEY), what).toBe(false);
      }
      expect(seen).toHaveLength(COMMANDS.length);
      if (faultName === 'no fault')
        expect(
          seen.filter((x) => / -> 0\n/.test(x)),
          seen.join('\n'),
        ).toHaveLength(COMMANDS.length);
    });
  }
});
