// The real bin in a real terminal (tmux), against the emulator: what the screen shows once the
// command has run. JSON never glued to the spinner, no colour when NO_COLOR or FORCE_COLOR=0 say so,
// escape sequences from outside shown instead of obeyed (and kept byte for byte in a file), and no
// stale spinner or progress rows on a narrow or resized terminal.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runBin, runInProcess } from '../helpers/cli.js';
import { PtyRun, ptyUnavailable, withoutColors, type PtyOptions } from '../helpers/pty.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, firstByteDelayMs: 0, chunkDelayMs: 0, toolArguments: undefined });
});
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-term-'));
  temps.push(dir);
  return dir;
};

const KEY = 'sk-test-terminal-0123456789';
const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** Any of the spinner's texts, or a piece of one left behind by a wrapped line. */
const SPINNER_TEXT = /Sending \d|Waiting for|is answering|is thinking|\d+\/\d+ described|so f/;
const ESCAPES = 'before \u001b]52;c;aGVsbG8=\u0007 \u001b[2J \u001b]0;pwned\u0007 \u009b2J after';
const ESCAPES_SHOWN = 'before ^[]52;c;aGVsbG8=^G ^[[2J ^[]0;pwned^G <U+009B>2J after';

/** `kimi-vision <args>` started in a terminal, with the emulator as the API. */
async function start(args: string[], o: Partial<PtyOptions> = {}): Promise<PtyRun> {
  const run = await PtyRun.start(args, { ...o, env: { ...isolatedHome(), MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
  runs.push(run);
  return run;
}
const runs: PtyRun[] = [];
afterAll(async () => {
  await Promise.all(runs.map((r) => r.close()));
});

const lines = (screen: string) => screen.split('\n');

// Skipped where tmux is missing, with the reason in the output; in CI (CI=true) that is a failure.
if (ptyUnavailable && process.env.CI === 'true') throw new Error(`CI must run the terminal tests: ${ptyUnavailable}`);
if (ptyUnavailable) console.warn(`test/e2e/terminal.test.ts: ${ptyUnavailable}`);
const suite = ptyUnavailable ? describe.skip : describe;
const title = (name: string) => (ptyUnavailable ? `${name} (skipped: ${ptyUnavailable})` : name);

suite(title('a real terminal: JSON and the spinner'), () => {
  const tools = JSON.stringify([
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  ]);
  const schema = '{"type":"object","properties":{"caption":{"type":"string"}},"required":["caption"]}';
  it.each([
    ['--json-object', ['--json-object'], '{"caption":"a cat"}', /^\{$/],
    ['--schema', ['--schema', schema], '{"caption":"a cat"}', /^\{$/],
    ['--format json', ['--format', 'json'], 'A cat.', /^\{"model":"kimi-k2\.6","text":"A cat\."/],
    ['--tools', ['--tools', tools, '--tool-choice', 'get_weather'], undefined, /^\{"id":"get_weather_0","name":"get_weather","arguments":\{"city":/],
  ])('%s: the JSON starts at column 0 and no spinner is left', async (_name, flags, reply, firstJsonLine) => {
    emu.set({ reply: reply === undefined ? undefined : () => reply, firstByteDelayMs: 700 });
    const run = await start(['describe', 'fixtures/small.png', ...flags]);
    await run.waitForScreen((s) => SPINNER_FRAME.test(s) && /Waiting for kimi-k2\.6…/.test(s)); // it did spin
    const r = await run.exited();
    expect(r.code).toBe(0);
    const shown = lines(r.screen);
    const json = shown.findIndex((l) => l.includes('{'));
    expect(shown[json], r.screen).toMatch(firstJsonLine);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(shown[0]).toMatch(/^1 image · /); // nothing above was erased
    expect(r.screen).toMatch(/completion tokens · .* · session [\w-]+/);
  });

  it('--each: results and errors print above the progress line, which is gone at the end', async () => {
    const dir = tempDir();
    for (let i = 1; i <= 4; i++) copyFileSync(path.join(FIXTURES, 'small.png'), path.join(dir, `img-${i}.png`));
    emu.set({ reply: () => 'A small image.', firstByteDelayMs: 300 });
    emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'image 1 refused' });
    const run = await start(['describe', '--each', '.', '--format', 'jsonl', '-j', '1'], { cwd: dir, height: 40 });
    await run.waitForScreen(/described, 0 failed, ¥0\.00 so far/);
    const r = await run.exited({ joined: true });
    expect(r.code).not.toBe(0);
    const shown = lines(r.screen);
    const json = shown.filter((l) => l.startsWith('{'));
    expect(json).toHaveLength(4); // one per image, each from column 0
    expect(json.map((l) => JSON.parse(l).path)).toEqual(['img-1.png', 'img-2.png', 'img-3.png', 'img-4.png']);
    expect(shown.filter((l) => l.startsWith('error: img-1.png: '))).toHaveLength(1);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(shown.at(-1)).toMatch(/^3 described, 1 failed · /);
  });
});

suite(title('a real terminal: chat'), () => {
  it('each answer starts on its own line below the prompt, neutralised, with no spinner left', async () => {
    emu.set({ reply: () => '{"a":1} \u001b[2J done', firstByteDelayMs: 500 });
    const run = await start(['chat', 'fixtures/small.png']);
    await run.waitForScreen(/^you>$/m);
    await run.type('what is it?', 'Enter');
    await run.waitForScreen((s) => SPINNER_FRAME.test(s) && /Waiting for/.test(s));
    await run.waitForScreen(/done[\s\S]*\nyou>$/);
    await run.type('', 'C-d');
    const r = await run.exited();
    expect(r.code).toBe(0);
    const shown = lines(r.screen);
    expect(shown[1]).toBe('you> what is it?');
    expect(shown[2]).toMatch(/^1 image · /);
    expect(shown[3]).toBe('{"a":1} ^[[2J done');
    expect(shown[4]).toMatch(/completion tokens/);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
  });
});

suite(title('a real terminal: Ctrl-C in chat'), () => {
  it('Ctrl-C while the answer streams stops it (the server sees the connection close) and the prompt comes back; Ctrl-C at an empty prompt leaves with 130', async () => {
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    emu.set({ reply: () => words, chunkDelayMs: 60 });
    const run = await start(['chat', 'fixtures/small.png']);
    await run.waitForScreen(/^you>$/m);
    await run.type('describe it', 'Enter');
    await run.waitForScreen(/\bw3\b/);
    await run.type('', 'C-c');
    await run.waitForScreen(/stopped; nothing of this turn was saved[\s\S]*\nyou>$/);
    // The request is over at once: the emulator saw the client go, long before the 80 words were out.
    const first = emu.chatRequests()[0]!;
    expect(emu.inFlight).toBe(0);
    expect(first.endedAt! - first.startedAt).toBeLessThan(80 * 60);
    await run.type('', 'C-c');
    const r = await run.exited();
    expect(r.code).toBe(130);
    expect(r.screen).not.toContain('w79');
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

suite(title('a real terminal: colours'), () => {
  it('colours the spinner and the usage line by default (the control for the tests below)', async () => {
    emu.set({ firstByteDelayMs: 700 });
    const run = await start(['describe', 'fixtures/small.png']);
    const mid = await run.waitForScreen((s) => /Waiting for/.test(s), 10_000);
    expect(mid).toMatch(/Waiting for/);
    const colored = await run.screen({ colors: true });
    const r = await run.exited({ colors: true });
    expect(r.code).toBe(0);
    expect(colored).toMatch(new RegExp(`\\u001b\\[36m${SPINNER_FRAME.source}`)); // a cyan frame
    expect(r.screen).toMatch(/\u001b\[2m[\d,]+ prompt \+/); // the dim usage line
  });

  it.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
  ])('%s: no colour code on the screen, while spinning or after', async (_name, env) => {
    emu.set({ firstByteDelayMs: 700 });
    const run = await start(['describe', 'fixtures/small.png'], { env });
    await run.waitForScreen(/Waiting for/);
    const spinning = await run.screen({ colors: true });
    const r = await run.exited({ colors: true });
    expect(spinning).toMatch(SPINNER_FRAME); // it did spin, uncoloured
    expect(spinning).not.toMatch(/\u001b\[/);
    expect(r.code).toBe(0);
    expect(r.screen).toMatch(/prompt \+ [\d,]+ completion tokens/);
    expect(r.screen).not.toMatch(/\u001b\[/);
  });

  it('TERM=dumb: no spinner and no colour', async () => {
    emu.set({ firstByteDelayMs: 300 });
    const run = await start(['describe', 'fixtures/small.png'], { env: { TERM: 'dumb' } });
    const r = await run.exited({ colors: true });
    expect(r.code).toBe(0);
    expect(r.screen).not.toMatch(/\u001b\[/);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(withoutColors(r.screen)).toMatch(/prompt \+ [\d,]+ completion tokens/);
  });
});

suite(title('a real terminal: escape sequences from outside'), () => {
  it('an answer with OSC 52, clear-screen and title escapes shows them visibly', async () => {
    emu.set({ reply: () => ESCAPES });
    const run = await start(['describe', 'fixtures/small.png']);
    const r = await run.exited();
    expect(r.code).toBe(0);
    expect(lines(r.screen)).toContain(ESCAPES_SHOWN);
    expect(lines(r.screen)[0]).toMatch(/^1 image · /); // the screen was not cleared
  });

  it('the same answer goes byte for byte into a file when stdout is redirected', async () => {
    emu.set({ reply: () => ESCAPES });
    const file = path.join(tempDir(), 'answer.txt');
    const run = await start(['describe', 'fixtures/small.png'], { stdoutFile: file });
    const r = await run.exited();
    expect(r.code).toBe(0);
    expect(readFileSync(file).equals(Buffer.from(`${ESCAPES}\n`))).toBe(true);
    expect(r.screen).not.toContain('before');
    expect(r.screen).toMatch(/prompt \+ [\d,]+ completion tokens/);
  });

  it('a server error message with escapes shows them visibly on stderr', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'bad \u001b]0;pwned\u0007 \u001b[2J request' });
    const run = await start(['describe', 'fixtures/small.png'], { width: 200 });
    const r = await run.exited();
    expect(r.code).not.toBe(0);
    expect(r.screen).toContain('bad ^[]0;pwned^G ^[[2J request');
    expect(lines(r.screen)[0]).toMatch(/^1 image · /);
  });

  it('a file name with escapes shows them visibly in the error about it', async () => {
    const dir = tempDir();
    const name = 'shot\u001b]0;pwned\u0007\u001b[2J.png';
    writeFileSync(path.join(dir, name), 'not an image');
    const run = await start(['describe', name], { cwd: dir, width: 200 });
    const r = await run.exited();
    expect(r.code).toBe(3);
    expect(r.screen).toMatch(/^error: .*shot\^\[\]0;pwned\^G\^\[\[2J\.png/m);
  });
});

describe('stderr off a terminal', () => {
  it('error lines are neutralised in a pipe too; the answer on stdout stays byte for byte', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'bad \u001b]0;pwned\u0007 request' });
    const env = { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY };
    const failed = await runBin(['describe', 'fixtures/small.png'], { env });
    expect(failed.stderr).toContain('bad ^[]0;pwned^G request');
    expect(failed.stderr).not.toContain('\u001b]');
    emu.set({ reply: () => ESCAPES });
    const ok = await runBin(['describe', 'fixtures/small.png'], { env });
    expect(ok.stdout).toBe(`${ESCAPES}\n`);
  });

  it('FORCE_COLOR=1 colours stderr off a terminal; FORCE_COLOR=0 and NO_COLOR keep a terminal plain', async () => {
    const bad = ['describe', 'fixtures/bad/empty.png'];
    const forced = await runInProcess(bad, { stderrTTY: false, rawStderr: true, env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toMatch(/^\u001b\[31merror:\u001b\[39m fixtures\/bad\/empty\.png/);
    expect(forced.stderr).toContain('\u001b[2m'); // the dim hint
    for (const env of [{ FORCE_COLOR: '0' }, { NO_COLOR: '1', FORCE_COLOR: '1' }]) {
      const plain = await runInProcess(bad, { stderrTTY: true, rawStderr: true, env });
      expect(plain.stderr).toMatch(/^error: fixtures\/bad\/empty\.png/);
      expect(plain.stderr).not.toContain('\u001b[');
    }
  });
});

suite(title('a real terminal: narrow and resized'), () => {
  // "⠋ Waiting for kimi-k3.1-pro-highspeed…" takes 38 columns.
  const long = ['describe', 'fixtures/small.png', '-m', 'kimi-k3.1-pro-highspeed'];

  it('30 columns: the spinner is one row cut to the width, and nothing of it stays', async () => {
    emu.set({ reply: () => 'A small image.', firstByteDelayMs: 700 });
    const run = await start(long, { width: 30 });
    const mid = await run.waitForScreen(/Waiting for/);
    const row = lines(mid).find((l) => SPINNER_FRAME.test(l)) ?? '';
    expect(row).toMatch(/^. Waiting for kimi-k3\.1-pro-…$/); // 29 columns
    expect(lines(mid).at(-1)).toBe(row); // no wrapped rest below it
    const r = await run.exited();
    expect(r.code).toBe(0);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(lines(r.screen)).toContain('A small image.');
  });

  it('a terminal made narrower while the spinner runs keeps no rows of the old line', async () => {
    emu.set({ reply: () => 'A small image.', firstByteDelayMs: 1500 });
    const run = await start(long, { width: 80 });
    await run.waitForScreen(/. Waiting for kimi-k3\.1-pro-highspeed…/);
    await run.resize(25);
    // drawn again at the new width before the answer comes
    await run.waitForScreen((s) => lines(s).some((l) => /^. Waiting for kimi-k3\.1…$/.test(l)));
    const r = await run.exited();
    expect(r.code).toBe(0);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(r.screen).not.toMatch(/pro-highspeed…|highspeed…/);
  });

  it('40 columns: an --each run with failures leaves no progress rows behind', async () => {
    const dir = tempDir();
    for (let i = 10; i < 22; i++) copyFileSync(path.join(FIXTURES, 'small.png'), path.join(dir, `img-${i}.png`));
    emu.set({ reply: () => 'ok', firstByteDelayMs: 150 });
    for (let i = 0; i < 2; i++) emu.queueFault({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'refused' });
    // "10/12 described, 2 failed, ¥0.0008 so far" and its frame are wider than 40 columns
    const run = await start(['describe', '--each', '.', '-p', 'One word.', '-j', '2'], { cwd: dir, width: 40, height: 60 });
    const mid = await run.waitForScreen(/\d+\/12 described, \d failed, ¥0\.\d+ so f…$/m);
    expect(lines(mid).at(-1)).toMatch(/^. \d+\/12 described/); // one row, the last
    const r = await run.exited();
    expect(r.code).not.toBe(0);
    const shown = lines(r.screen);
    expect(shown.filter((l) => /^==> img-\d\d\.png <==$/.test(l))).toHaveLength(10);
    expect(shown.filter((l) => l === 'ok')).toHaveLength(10);
    expect(shown.filter((l) => /^error: img-\d\d\.png: /.test(l))).toHaveLength(2);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SPINNER_TEXT);
    expect(shown.at(-2)).toMatch(/^10 described, 2 failed · /); // the summary, wrapped at 40
  });
});
