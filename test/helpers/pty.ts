// Runs the real bin inside a pseudo-terminal and returns what the screen shows.
//
// tmux is the terminal: a detached session of a given size on a server of its own (`tmux -L`, under
// a temporary TMUX_TMPDIR), so a user's own tmux is never touched. The command runs with exactly the
// environment the test gives (`env -i`), stdout on the pty or redirected to a file. A small script
// around it records the exit code, sets the pane's title to a marker (in-band: once tmux shows that
// title, it has drawn everything the command wrote before it) and signals a wait channel; the pane
// then stays open, untouched, until the helper reads the screen and stops the server. (tmux's own
// remain-on-exit is not used: tmux 3.3 scrolls the dead pane by a line, and at times never records
// the exit status of a pane's process.)
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from './cli.js';

/** Why the terminal tests cannot run here, or undefined when they can. */
export const ptyUnavailable: string | undefined = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'tmux is not installed: the tests through a real terminal are skipped (CI installs it)';
  }
})();

export interface PtyOptions {
  /** The command's whole environment (TERM is 'xterm-256color' unless given; PATH unless given). */
  env: Record<string, string | undefined>;
  width?: number;
  height?: number;
  /** Redirect stdout to this file (the screen then shows stderr only). */
  stdoutFile?: string;
  cwd?: string;
}

export interface ScreenOptions {
  /** Keep the colours (SGR codes) of the cells. */
  colors?: boolean;
  /** Join rows that are one wrapped line. */
  joined?: boolean;
}

export interface PtyExit {
  code: number;
  /** The rendered screen, trailing spaces and empty lines removed. */
  screen: string;
}

/** The pane title the script sets once the command has exited. */
const DONE = 'kv-exited';
const ESC_SGR = /\u001b\[[0-9;:]*m/g;

export class PtyRun {
  private readonly exitedP: Promise<void>;
  private settled = false;

  private constructor(
    private readonly dir: string,
    private readonly socket: string,
    waiter: ReturnType<typeof spawn>,
  ) {
    this.exitedP = new Promise((resolve, reject) => {
      waiter.once('exit', () => {
        this.settled = true;
        resolve();
      });
      waiter.once('error', reject);
    });
  }

  /** Starts `kimi-vision <args>` in a fresh terminal. */
  static async start(args: readonly string[], o: PtyOptions): Promise<PtyRun> {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-pty-'));
    const socket = 'kv';
    const env: Record<string, string | undefined> = { PATH: process.env.PATH, TERM: 'xterm-256color', ...o.env };
    const assignments = Object.entries(env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${quote(v)}`);
    const redirect = o.stdoutFile !== undefined ? ` > ${quote(o.stdoutFile)}` : '';
    const script = path.join(dir, 'run.sh');
    writeFileSync(
      script,
      [
        `cd ${quote(o.cwd ?? ROOT)} || exit 1`,
        `env -i ${assignments.join(' ')} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}${redirect}`,
        `echo $? > ${quote(path.join(dir, 'status'))}`,
        `printf '\\033]2;${DONE}\\033\\\\'`,
        `tmux -L ${socket} wait-for -S kv-exited`,
        `exec tmux -L ${socket} wait-for kv-never`,
        '',
      ].join('\n'),
    );
    const conf = path.join(dir, 'tmux.conf');
    writeFileSync(conf, 'set -g status off\n'); // the pane is the whole window: width x height
    await tmux(dir, socket, ['-f', conf, 'new-session', '-d', '-s', 'kv', '-x', String(o.width ?? 80), '-y', String(o.height ?? 24), 'sh', script]);
    // A channel signalled before anyone waits stays signalled: no race with a quick command.
    return new PtyRun(dir, socket, spawn('tmux', ['-L', socket, 'wait-for', 'kv-exited'], { env: tmuxEnv(dir), stdio: 'ignore' }));
  }

  /** The screen now; with `colors`, SGR codes kept (capture-pane -e); with `joined`, wrapped rows joined (-J). */
  async screen(o: ScreenOptions = {}): Promise<string> {
    const text = await tmux(this.dir, this.socket, ['capture-pane', '-p', ...(o.colors ? ['-e'] : []), ...(o.joined ? ['-J'] : []), '-t', 'kv']);
    return tidy(text);
  }

  /** Waits until the screen satisfies `test` (polled, at most `timeoutMs`); returns that screen. */
  async waitForScreen(test: RegExp | ((screen: string) => boolean), timeoutMs = 10_000): Promise<string> {
    const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.screen();
      if (ok(s)) return s;
      if (this.settled || Date.now() > deadline) throw new Error(`the screen never matched ${String(test)}; it shows:\n${s}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Types `text` as it is, then the keys named (tmux key names: Enter, C-c, C-d). */
  async type(text: string, ...keys: string[]): Promise<void> {
    if (text) await tmux(this.dir, this.socket, ['send-keys', '-t', 'kv', '-l', text]);
    if (keys.length > 0) await tmux(this.dir, this.socket, ['send-keys', '-t', 'kv', ...keys]);
  }

  /** Makes the terminal this wide (and high), as a user dragging the window would. */
  async resize(width: number, height?: number): Promise<void> {
    await tmux(this.dir, this.socket, ['resize-window', '-t', 'kv', '-x', String(width), ...(height ? ['-y', String(height)] : [])]);
  }

  /** Waits for the command to exit (at most `timeoutMs`), then reads the exit code and the screen. */
  async exited(o: ScreenOptions & { timeoutMs?: number } = {}): Promise<PtyExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the command did not exit in time')), o.timeoutMs ?? 15_000);
    });
    try {
      await Promise.race([this.exitedP, timeout]);
    } finally {
      clearTimeout(timer);
    }
    const title = () => tmux(this.dir, this.socket, ['display-message', '-p', '-t', 'kv', '#{pane_title}']);
    for (let tries = 0; (await title()).trim() !== DONE; tries++) {
      if (tries > 200) throw new Error('tmux never drew the end of the output');
      await new Promise((r) => setTimeout(r, 10));
    }
    return { code: Number(readFileSync(path.join(this.dir, 'status'), 'utf8').trim()), screen: await this.screen(o) };
  }

  /** Stops the terminal's server and removes its files. */
  async close(): Promise<void> {
    await tmux(this.dir, this.socket, ['kill-server']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What a coloured screen shows once its colours are removed. */
export const withoutColors = (screen: string) => screen.replace(ESC_SGR, '');

function tmuxEnv(dir: string): NodeJS.ProcessEnv {
  // The server's own environment: nothing of the user's, and its socket in the temporary folder.
  return { PATH: process.env.PATH, TMUX_TMPDIR: dir, HOME: dir };
}

function tmux(dir: string, socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-L', socket, ...args], { env: tmuxEnv(dir), encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args[0]}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
