// chat at a terminal, in-process: a fake TTY on stdin (readline reads keys from it, Ctrl-C included)
// and on stderr, the emulator behind it. What the user sees: stdout, stderr, the exit code, and what
// the server got.
import { PassThrough, Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import type { Io } from '../../src/io.js';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome, stripAnsi } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, chunkDelayMs: 0 });
});

class Screen extends Writable {
  text = '';
  isTTY = true;
  columns = 80;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
  // What ora and readline call on a terminal stream to redraw a line.
  cursorTo(_x: number, _y?: unknown, cb?: () => void) {
    (typeof _y === 'function' ? (_y as () => void) : cb)?.();
    return true;
  }
  clearLine(_dir: number, cb?: () => void) {
    cb?.();
    return true;
  }
  moveCursor(_dx: number, _dy: number, cb?: () => void) {
    cb?.();
    return true;
  }
}

/** Starts `kimi-vision chat …` with a terminal on stdin and stderr; `type` sends keys. */
function startChat(args: string[], o: { tty?: boolean } = {}) {
  const stdin = Object.assign(new PassThrough(), { isTTY: o.tty ?? true, setRawMode: () => stdin });
  const stdout = new Screen();
  stdout.isTTY = false;
  const stderr = new Screen();
  stderr.isTTY = o.tty ?? true;
  const io: Io = {
    stdout,
    stderr,
    stdin,
    env: { ...isolatedHome(), MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-chat-test', NO_COLOR: '1' },
    cwd: process.cwd(),
    monotonicMs: () => performance.now(),
    epochMs: () => Date.now(),
    signal: new AbortController().signal,
  };
  const done = run(['chat', ...args], io);
  return { done, stdout, stderr: () => stripAnsi(stderr.text), type: (keys: string) => stdin.write(keys), end: () => stdin.end() };
}

/** Resolves once `check` holds (polled; bounded). */
async function until(check: () => boolean, what: string, screen?: () => string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}${screen ? `; stderr:\n${screen()}` : ''}`);
}

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

describe('chat at a terminal', () => {
  it('Ctrl-C while the answer streams stops it (the connection is closed), the prompt comes back, and the next turn works; Ctrl-C at an empty prompt ends chat with 130', async () => {
    emu.set({ reply: () => LONG, chunkDelayMs: 40 });
    const chat = startChat(['fixtures/small.png']);
    chat.type('What is it?\r');
    await until(() => chat.stdout.text.includes('word'), 'the answer to start', chat.stderr);
    chat.type('\x03');
    await until(() => emu.inFlight === 0, 'the request to end', chat.stderr);
    await until(
      () => chat.stderr().includes('stopped; nothing of this turn was saved'),
      'the stop note',
      () => JSON.stringify(chat.stderr()),
    );
    expect(chat.stdout.text).not.toContain('word59');
    const first = emu.chatRequests()[0]!;
    expect(first.endedAt! - first.startedAt).toBeLessThan(40 * 30); // far from the whole stream

    emu.set({ reply: () => 'Short answer.', chunkDelayMs: 0 });
    chat.type('Try again?\r');
    await until(() => chat.stdout.text.includes('Short answer.'), 'the second answer');
    await until(() => /session [\w-]+\nyou> $/.test(chat.stderr()), 'the prompt after the answer');
    chat.type('\x03');
    expect(await chat.done).toBe(130);
    // The stopped turn was not saved: the second request is a new conversation's first turn.
    const second = emu.chatRequests()[1]!.body as { messages: { role: string }[] };
    expect(second.messages.map((m) => m.role)).toEqual(['user']);
  });

  it('Ctrl-D at the prompt ends chat with 0', async () => {
    const chat = startChat(['fixtures/small.png']);
    await until(() => chat.stderr().includes('you> '), 'the prompt');
    chat.type('\x04');
    expect(await chat.done).toBe(0);
    expect(emu.chatRequests()).toHaveLength(0);
  });

  it('/image checks the input at once; /images lists and /clear drops what is queued', async () => {
    emu.set({ reply: (ctx) => `seen ${ctx.images.length}` });
    const chat = startChat(['fixtures/small.png']);
    chat.type('/image fixtures/no-such.png\r');
    await until(() => chat.stderr().includes('nothing was added'), 'the refusal');
    expect(chat.stderr()).toMatch(/no-such\.png/);
    chat.type('/image fixtures/bad/text-named.png\r');
    await until(() => chat.stderr().split('nothing was added').length === 3, 'the second refusal');
    expect(chat.stderr()).toMatch(/text-named\.png: not a supported image/);
    chat.type('/image fixtures/photo.jpg\r/images\r');
    await until(() => chat.stderr().includes('queued for your next message: fixtures/small.png, fixtures/photo.jpg'), 'the list');
    chat.type('/clear\r/images\r');
    await until(() => chat.stderr().includes('no images queued'), 'the empty list');
    chat.type('/image fixtures/photo.jpg\rWhat now?\r');
    await until(() => chat.stdout.text.includes('seen'), 'the answer');
    chat.type('\x04');
    const code = await chat.done;
    expect(JSON.stringify(chat.stderr())).not.toMatch(/internal error/);
    expect(code).toBe(0);
    expect(chat.stdout.text).toBe('seen 1\n');
  });

  it('/save to a folder says so, and chat goes on', async () => {
    emu.set({ reply: () => 'ok' });
    const chat = startChat(['fixtures/small.png']);
    chat.type('Hi\r');
    await until(() => chat.stdout.text.includes('ok'), 'the answer');
    chat.type('/save fixtures\r');
    await until(() => chat.stderr().includes('cannot write the conversation to fixtures'), 'the /save error');
    chat.type('More?\r');
    await until(() => chat.stdout.text === 'ok\nok\n', 'the next answer');
    chat.type('\x04');
    expect(await chat.done).toBe(0);
  });
});

describe('chat from a pipe', () => {
  it('the exit code is that of the first failed turn; later turns still run', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' });
    emu.set({ reply: () => 'fine now' });
    const chat = startChat(['fixtures/small.png', '-q'], { tty: false });
    chat.type('first\nsecond\n');
    chat.end();
    expect(await chat.done).toBe(5);
    expect(chat.stdout.text).toBe('fine now\n');
    expect(chat.stderr()).toMatch(/content filter/);
  });

  it('a bad image among the first inputs fails that turn only: its inputs are dropped, not sent again and again', async () => {
    emu.set({ reply: (ctx) => `seen ${ctx.images.length}` });
    const chat = startChat(['fixtures/bad/empty.png', '-q'], { tty: false });
    chat.type('first\n/image fixtures/small.png\nsecond\n');
    chat.end();
    expect(await chat.done).toBe(3);
    expect(chat.stderr()).toMatch(/dropped the 1 queued input of that turn/);
    expect(chat.stdout.text).toBe('seen 1\n');
  });
});
