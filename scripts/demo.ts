// `npm run demo`: the main job in one command, with no key and no second terminal. Starts the
// project's Moonshot API emulator on a free loopback port, runs `kimi-vision describe fixtures/*.png`
// against it in this terminal (estimate, spinner, streamed answer and usage, as with the real
// service), stops the emulator and exits with the CLI's exit code. Config, sessions and caches go to
// a temporary folder that is removed afterwards, so the demo leaves nothing behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../test/emulator/server.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Long enough to see the spinner, then the answer arriving piece by piece. */
const FIRST_BYTE_DELAY_MS = 1_200;
const CHUNK_DELAY_MS = 30;
/** The user's settings that would point the demo elsewhere or change what it shows. */
const IGNORED_ENV = /^(MOONSHOT_|KIMI_VISION_|HTTPS?_PROXY$|ALL_PROXY$)/i;

const say = (line: string) => process.stderr.write(`demo: ${line}\n`);

function distIsBuilt(): boolean {
  if (existsSync(path.join(ROOT, 'dist', 'kimi-vision.cjs'))) return true;
  say('dist/ is missing: run `npm ci` first (it installs the tools and builds dist/), or `npm run build`');
  return false;
}

/** fixtures/*.png, sorted, as paths relative to the project (the cwd of the CLI). */
function fixtures(): string[] {
  return readdirSync(path.join(ROOT, 'fixtures'))
    .filter((name) => name.endsWith('.png'))
    .sort()
    .map((name) => path.join('fixtures', name));
}

/**
 * Runs the CLI with this terminal as its stdin, stdout and stderr; resolves with its exit code (128 +
 * the signal's number when a signal ended it, as a shell reports it). Ctrl-C reaches the CLI from the
 * terminal itself, which stops its request; a SIGTERM sent to the demo alone is passed on.
 */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kimi-vision.js'), ...args], { cwd: ROOT, env, stdio: 'inherit' });
    const waitForCli = () => {};
    const passOn = () => child.kill('SIGTERM');
    process.on('SIGINT', waitForCli);
    process.on('SIGTERM', passOn);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', waitForCli);
      process.off('SIGTERM', passOn);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

async function main(): Promise<number> {
  if (!distIsBuilt()) return 1;
  const scratch = mkdtempSync(path.join(tmpdir(), 'kimi-vision-demo-'));
  const emulator = await startEmulator({ firstByteDelayMs: FIRST_BYTE_DELAY_MS, chunkDelayMs: CHUNK_DELAY_MS });
  try {
    const args = ['describe', ...fixtures()];
    say(`the Moonshot API emulator listens on ${emulator.baseUrl} (a stand-in for the service: no key, no cost)`);
    say(`$ kimi-vision ${args.join(' ')}`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !IGNORED_ENV.test(name)));
    return await runCli(args, {
      ...env,
      MOONSHOT_BASE_URL: emulator.baseUrl,
      MOONSHOT_API_KEY: 'sk-demo-not-a-real-key',
      XDG_CONFIG_HOME: path.join(scratch, 'config'),
      XDG_STATE_HOME: path.join(scratch, 'state'),
      XDG_CACHE_HOME: path.join(scratch, 'cache'),
    });
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
