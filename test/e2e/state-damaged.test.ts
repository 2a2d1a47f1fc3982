// State changed by another run meanwhile, or damaged: real concurrent processes (two --continue on
// one conversation, four config set at once), and sessions, config files (FIFOs too), uploads
// indexes and batch manifests that are not what kimi-vision wrote. Every case: the documented exit
// code, no stack trace, nothing half-written left (test/helpers/hostile.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES } from '../helpers/cli.js';
import { clean, filesUnder, hostileHome, kv } from '../helpers/hostile.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, firstByteDelayMs: 0 });
});

const small = path.join(FIXTURES, 'small.png');
const home = () => hostileHome(emu.baseUrl);

describe('concurrent runs lose no update', () => {
  it('two describe --continue on one conversation: one saves, the other is refused (answer printed, exit 75)', async () => {
    const h = home();
    expect((await kv(['describe', small, '-q'], { env: h.env })).code).toBe(0);
    const file = path.join(h.dir, 'state', 'sessions', filesUnder(path.join(h.dir, 'state', 'sessions'))[0]!);
    // Answers that take a while, so both runs have read the conversation before either saves.
    emu.set({ firstByteDelayMs: 3000, reply: (ctx) => `Answer to ${JSON.stringify(ctx.body.messages.at(-1).content.at(-1).text)}.` });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, emu.inFlight)), 5);
    const [a, b] = await Promise.all([kv(['describe', '--continue', '-p', 'first'], { env: h.env }), kv(['describe', '--continue', '-p', 'second'], { env: h.env })]);
    clearInterval(watch);
    expect(most).toBe(2); // both were answering at once
    const [saved, refused] = a.code === 0 ? [a, b] : [b, a];
    expect([saved.code, refused.code]).toEqual([0, 75]);
    expect(refused.stdout).toMatch(/^Answer to "(first|second)"\.\n$/); // its answer is still shown
    expect(refused.stderr).toMatch(/error: this turn was not saved: another run continued the conversation \S+ while this one was answered/);
    const winner = /Answer to "(\w+)"/.exec(saved.stdout)![1];
    const session = JSON.parse(readFileSync(file, 'utf8')) as { messages: { role: string; content: unknown }[] };
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(JSON.stringify(session.messages[2])).toContain(winner);
    clean(refused, [h.dir]);
  }, 30_000);

  it('config set of four keys at once, four processes: all four land', async () => {
    const h = home();
    const values = { model: 'kimi-k3', prompt: 'Alt text.', format: 'json', base_url: 'https://api.moonshot.ai/v1' };
    const runs = await Promise.all(Object.entries(values).map(([k, v]) => kv(['config', 'set', k, v], { env: h.env })));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(JSON.parse(readFileSync(path.join(h.dir, 'config.json'), 'utf8'))).toEqual(values);
    for (const r of runs) clean(r, [h.dir]);
  });
});

describe('damaged state', () => {
  it.each([
    ['{}'],
    ['null'],
    ['[]'],
    ['{"version":1,"id":3}'],
    ['{"version":1,"id":"x","created_at":"","updated_at":"","model":"m","params":{},"messages":[{"role":"user","content":7}]}'],
  ])('a session holding %s: "damaged: <path>" exit 2 on --continue; sessions skips it with a note', async (text) => {
    const h = home();
    expect((await kv(['describe', small, '-q'], { env: h.env })).code).toBe(0);
    const dir = path.join(h.dir, 'state', 'sessions');
    const file = path.join(dir, filesUnder(dir)[0]!);
    writeFileSync(file, text);
    const r = await kv(['describe', '--continue', '-p', 'again'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${file} (`);
    expect(r.stderr).toContain(`rm ${file}`);
    const list = await kv(['sessions'], { env: h.env });
    expect(list.code).toBe(0);
    expect(list.stderr).toContain(`note: skipped damaged: ${file} (`);
    clean(r, [h.dir]);
  });

  it.each([['null'], ['[]'], ['{"model": 3}'], ['"kimi-k3"']])('a config file holding %s stops every command with exit 2', async (text) => {
    const h = home();
    writeFileSync(path.join(h.dir, 'config.json'), text);
    for (const args of [['describe', small], ['config', 'list'], ['config', 'set', 'model', 'kimi-k3'], ['models']]) {
      const r = await kv(args, { env: h.env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'config.json')} (`);
    }
    expect(readFileSync(path.join(h.dir, 'config.json'), 'utf8')).toBe(text); // not "repaired" over
  });

  it('a config path that is a FIFO is refused at once, without blocking (exit 2)', async () => {
    const h = home();
    execFileSync('mkfifo', [path.join(h.dir, 'config.json')]);
    const started = Date.now();
    const r = await kv(['describe', small], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'config.json')} (a FIFO (named pipe), not a file).`);
    expect(Date.now() - started).toBeLessThan(20_000); // (a blocking open would never return)
  });

  it('an uploads index of the wrong shape: exit 2 before anything is uploaded', async () => {
    const h = home();
    mkdirSync(path.join(h.dir, 'state'), { recursive: true });
    writeFileSync(path.join(h.dir, 'state', 'uploads.json'), '["file-1"]');
    const r = await kv(['describe', small, '--upload'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${path.join(h.dir, 'state', 'uploads.json')} (the file must be an object, not an array).`);
    expect(emu.requests.filter((q) => q.path.includes('/files'))).toEqual([]);
  });

  it('a batch manifest of the wrong shape: batch fetch exit 2 naming it', async () => {
    const h = home();
    const submit = await kv(['batch', 'submit', small], { env: h.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    const file = path.join(h.dir, 'state', 'batches', `${id}.json`);
    writeFileSync(file, JSON.stringify({ version: 1, batch_id: id, images: [] }));
    const r = await kv(['batch', 'fetch', id], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${file} (`);
  });
});
