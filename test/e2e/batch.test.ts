// kimi-vision batch submit|status|fetch, the real bin against the emulator's files and batches
// endpoints: the uploaded JSONL, the ids on stdout, the manifest, statuses, results written exactly
// as describe --each writes them (JSONL, text, Markdown, sidecars), failures and their exit codes.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { Emulator } from '../emulator/types.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(async () => {
  await emu.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, batchPollsToComplete: 2, keys: undefined, onRequestEnd: undefined });
});

const KEY = 'sk-test-batch-0123456789';
const SOURCES = ['small.png', 'photo.jpg', 'screenshot.png', 'image.webp', 'large.png'];
const RECORD_KEYS = ['path', 'sha256', 'mime', 'model', 'text', 'finish_reason', 'usage', 'cost', 'ms', 'error', 'cached'];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A temp folder holding copies of the first `n` sources as 1-small.png, 2-photo.jpg, …; the emulator answers "About <name>." */
function folder(n: number): { dir: string; names: string[] } {
  const dir = tempDir('kv-batch-');
  const names = SOURCES.slice(0, n).map((src, i) => `${i + 1}-${path.basename(src)}`);
  names.forEach((name, i) => copyFileSync(path.join(FIXTURES, SOURCES[i] as string), path.join(dir, name)));
  const bySha = new Map(names.map((name) => [sha(readFileSync(path.join(dir, name))), `About ${name}.`]));
  emu.set({ reply: (ctx) => bySha.get(ctx.images[0]?.sha256 ?? '') });
  return { dir, names };
}

/** One state dir for every command of a test, as on one machine. */
function machine() {
  const home = tempDir('kv-batch-home-');
  return (args: string[], o: SpawnOptions = {}) => runBin(args, { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, KIMI_VISION_HOME: home, ...o.env } });
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

/** What the emulator holds as the content of a file. */
async function fileContent(id: string): Promise<string> {
  const res = await fetch(`${emu.baseUrl}/files/${id}/content`, { headers: { authorization: `Bearer ${KEY}` } });
  return res.text();
}

const uploads = () => emu.requests.filter((r) => r.method === 'POST' && r.path === '/v1/files');
const creates = () => emu.requests.filter((r) => r.method === 'POST' && r.path === '/v1/batches');

describe('batch submit', () => {
  it('uploads one valid request line per image (purpose batch), creates the batch and prints only its id', async () => {
    const { dir, names } = folder(3);
    const kv = machine();
    const r = await kv(['batch', 'submit', '.', '-p', 'Alt text?', '-s', 'Be terse.', '--max-tokens', '60'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^batch_\w+\n$/);
    expect(r.stderr).toMatch(/^3 images to send · ~[\d,]+ input tokens .* · kimi-k2\.6 · est\. ¥[\d.]+ input · 1 batch$/m);
    expect(emu.chatRequests()).toHaveLength(0);
    expect(uploads()).toHaveLength(1);
    expect(uploads()[0]!.body).toMatchObject({ purpose: 'batch' });
    expect(creates()).toHaveLength(1);
    const create = creates()[0]!.body as Record<string, any>;
    expect(create).toMatchObject({ endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { created_by: 'kimi-vision', part: '1/1' } });

    const jsonl = await fileContent(create.input_file_id);
    expect(jsonl.endsWith('\n')).toBe(true);
    const reqs = lines(jsonl);
    expect(reqs).toHaveLength(3);
    expect(new Set(reqs.map((q) => q.custom_id)).size).toBe(3);
    reqs.forEach((q, i) => {
      const bytes = readFileSync(path.join(dir, names[i]!));
      expect(Object.keys(q)).toEqual(['custom_id', 'method', 'url', 'body']);
      expect(q).toMatchObject({ custom_id: `img-${i}-${sha(bytes).slice(0, 12)}`, method: 'POST', url: '/v1/chat/completions' });
      expect(q.body).toMatchObject({ model: 'kimi-k2.6', stream: false, max_completion_tokens: 60, thinking: { type: 'disabled' } });
      expect(q.body.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
      const [image, text] = q.body.messages[1].content;
      expect(text).toEqual({ type: 'text', text: 'Alt text?' });
      const m = /^data:(image\/\w+);base64,(.*)$/.exec(image.image_url.url)!;
      expect(sha(Buffer.from(m[2]!, 'base64'))).toBe(sha(bytes));
    });
  });

  it('splits the requests into several batches when a file would be over the size limit, and prints every id', async () => {
    const { dir } = folder(4);
    const kv = machine();
    const r = await kv(['batch', 'submit', '.', '--max-file-size', '0.04', '-q'], { cwd: dir }); // 40 KiB files
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n');
    expect(ids.length).toBeGreaterThan(1);
    for (const id of ids) expect(id).toMatch(/^batch_\w+$/);
    expect(creates()).toHaveLength(ids.length);
    const files = await Promise.all(creates().map((c) => fileContent((c.body as { input_file_id: string }).input_file_id)));
    for (const f of files) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(0.04 * 1024 * 1024);
    expect(files.flatMap((f) => lines(f).map((q) => q.custom_id.split('-')[1]))).toEqual(['0', '1', '2', '3']);
  });

  it('--dry-run prints the requests, the batches and the estimate, and sends nothing (no key needed)', async () => {
    const { dir, names } = folder(3);
    const kv = machine();
    const r = await kv(['batch', 'submit', '.', '--dry-run', '--max-file-size', '0.04'], { cwd: dir, env: { MOONSHOT_API_KEY: undefined } });
    expect(r.code).toBe(0);
    expect(emu.requests).toHaveLength(0);
    const out = r.stdout.trim().split('\n');
    names.forEach((name, i) => expect(out[i]).toMatch(new RegExp(`^img-${i}-[0-9a-f]{12}\\t${name}\\timage/\\w+\\t`)));
    expect(out).toContain('batch 1 of 2: 2 requests, 37.5 KB');
    expect(out.at(-1)).toMatch(/^3 images to send · ~[\d,]+ input tokens/);

    const json = await kv(['batch', 'submit', '.', '--dry-run', '--format', 'json'], { cwd: dir });
    const plan = JSON.parse(json.stdout);
    expect(plan.batches).toEqual([{ requests: 3, bytes: expect.any(Number), custom_ids: plan.images.map((x: { custom_id: string }) => x.custom_id) }]);
    expect(plan.images.map((x: { path: string }) => x.path)).toEqual(names);
    expect(emu.requests).toHaveLength(0);
  });

  it('--shard i/n submits a stable part of the inputs: the shards cover them once', async () => {
    const { dir, names } = folder(5);
    const kv = machine();
    const shard = async (i: number) => {
      const r = await kv(['batch', 'submit', '.', '--dry-run', '--format', 'json', '--shard', `${i}/2`], { cwd: dir });
      return (JSON.parse(r.stdout).images as { path: string }[]).map((x) => x.path);
    };
    const [a, b] = [await shard(1), await shard(2)];
    expect([...a, ...b].sort()).toEqual([...names].sort());
    expect(a.filter((p) => b.includes(p))).toEqual([]);
  });

  it('--max-cost refuses the whole submit (exit 6) before anything is uploaded', async () => {
    const { dir } = folder(2);
    const r = await machine()(['batch', 'submit', '.', '--max-cost', '0.000001'], { cwd: dir });
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/above --max-cost ¥0\.0000; nothing was sent/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('batch status and fetch', () => {
  it('status prints the status and counts (exit 0); fetch before completion exits 75 and writes nothing', async () => {
    const { dir } = folder(2);
    emu.set({ batchPollsToComplete: 3 });
    const kv = machine();
    const id = (await kv(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();

    const status = await kv(['batch', 'status', id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id}\\tin_progress: 0 of 2 done, 0 failed\\n  created \\d{4}-`));

    const early = await kv(['batch', 'fetch', id, '--format', 'jsonl']);
    expect(early.code).toBe(75);
    expect(early.stdout).toBe('');
    expect(early.stderr).toContain(`${id} is not finished (in_progress: 0 of 2 done, 0 failed). Run batch fetch again later, or add --wait.`);

    const json = await kv(['batch', 'status', id, '--format', 'json']);
    expect(json.code).toBe(0);
    const obj = JSON.parse(json.stdout);
    expect(obj).toMatchObject({ id, object: 'batch', status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    expect(obj.output_file_id).toEqual(expect.any(String));
  });

  it('fetch writes the --each records in input order (same fields and values but ms and cost), and sidecars', async () => {
    const { dir, names } = folder(4);
    const kv = machine();
    const id = (await kv(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();
    await kv(['batch', 'status', id]); // the emulator finishes on the second poll
    const r = await kv(['batch', 'fetch', id, '--format', 'jsonl', '--write', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const records = lines(r.stdout);
    expect(records.map((x) => x.path)).toEqual(names);
    expect(r.stderr).toMatch(/^4 described, 0 failed · [\d,]+ prompt \+ [\d,]+ completion tokens · ¥[\d.]+ · [\d.]+ s$/m);

    const each = lines((await kv(['describe', '--each', '.', '--format', 'jsonl', '-q'], { cwd: dir })).stdout);
    records.forEach((x, i) => {
      expect(Object.keys(x)).toEqual(RECORD_KEYS);
      const { ms, cost, ...rest } = x;
      const { ms: _ms, cost: eachCost, ...eachRest } = each[i]!;
      expect(rest).toEqual(eachRest);
      expect(rest.text).toBe(`About ${names[i]}.`);
      expect(ms).toBe(0);
      expect(cost.currency).toBe(eachCost.currency);
      expect(cost.amount).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(path.join(dir, `${names[i]}.json`), 'utf8'))).toEqual(x);
    });
  });

  it('fetch --format text prints what describe --each prints', async () => {
    const { dir } = folder(3);
    const kv = machine();
    const id = (await kv(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();
    const text = await kv(['batch', 'fetch', id, '--wait', '--poll-interval', '0.05', '-q'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^==> 1-small\.png <==\nAbout 1-small\.png\.\n\n==> 2-photo\.jpg <==\n/);
    expect(text.stdout).toBe((await kv(['describe', '--each', '.', '-q'], { cwd: dir })).stdout);
  });

  it('fetch --format markdown prints what describe --each prints, and --write md sidecars', async () => {
    const { dir } = folder(3);
    const kv = machine();
    const id = (await kv(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();
    const md = await kv(['batch', 'fetch', id, '--wait', '--poll-interval', '0.05', '--format', 'markdown', '--write', 'md'], { cwd: dir });
    expect(md.code).toBe(0);
    const eachMd = await kv(['describe', '--each', '.', '--format', 'markdown', '-q'], { cwd: dir });
    const body = (s: string) => s.slice(0, s.lastIndexOf('---\n'));
    expect(body(md.stdout)).toBe(body(eachMd.stdout));
    expect(md.stdout).toMatch(/---\n\n3 described, 0 failed · /);
    expect(readFileSync(path.join(dir, '1-small.png.md'), 'utf8')).toBe('## 1-small.png\n\n![1-small.png](1-small.png)\n\nAbout 1-small.png.\n\n');
  });

  it('a failed request: its record carries the API error, the others succeed, exit code of the first failure', async () => {
    const { dir, names } = folder(5); // 5-large.png has far more image tokens than the others
    const kv = machine();
    // Output room that fits every image but the large one in kimi-k2.6's 262,144-token context.
    const sub = await kv(['batch', 'submit', '.', '--max-tokens', '260000'], { cwd: dir });
    expect(sub.code).toBe(0);
    expect(sub.stderr).toContain("1 request is estimated over kimi-k2.6's context; the API will likely refuse it.");
    const id = sub.stdout.trim();
    const r = await kv(['batch', 'fetch', id, '--wait', '--poll-interval', '0.05', '--format', 'jsonl', '--write', 'txt'], { cwd: dir });
    expect(r.code).toBe(5);
    const records = lines(r.stdout);
    expect(records.map((x) => x.path)).toEqual(names);
    const failed = records[4]!;
    expect(Object.keys(failed)).toEqual(RECORD_KEYS);
    expect(failed).toMatchObject({ text: '', finish_reason: null, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, cost: { amount: 0 } });
    expect(failed.error).toEqual({
      code: 5,
      type: 'invalid_request_error',
      message: "the request is over kimi-k2.6's token limit (400 invalid_request_error: Your request exceeded model token limit : 262144).",
    });
    for (const x of records.slice(0, 4)) expect(x.error).toBeNull();
    expect(r.stderr).toContain(`error: 5-large.png: the request is over kimi-k2.6's token limit`);
    expect(r.stderr).toMatch(/^4 described, 1 failed · /m);
    expect(existsSync(path.join(dir, '5-large.png.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, '1-small.png.txt'), 'utf8')).toBe('About 1-small.png.\n');
  });

  it('fetches several batches of one submit in input order', async () => {
    const { dir, names } = folder(4);
    const kv = machine();
    const ids = (await kv(['batch', 'submit', '.', '--max-file-size', '0.04', '-q'], { cwd: dir })).stdout.trim().split('\n');
    expect(ids.length).toBeGreaterThan(1);
    const r = await kv(['batch', 'fetch', ...ids, '--wait', '--poll-interval', '0.05', '--format', 'jsonl', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => [x.path, x.text])).toEqual(names.map((n) => [n, `About ${n}.`]));
  });

  it('without the manifest (another machine): JSONL with custom_id as path, said on stderr; --write refused', async () => {
    const { dir, names } = folder(2);
    const id = (await machine()(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();
    const other = machine();
    const refused = await other(['batch', 'fetch', id, '--write', 'txt']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--write needs the manifest batch submit left on this machine; there is none for ${id}.`);
    const r = await other(['batch', 'fetch', id, '--wait', '--poll-interval', '0.05', '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`no manifest for ${id} on this machine`);
    const records = lines(r.stdout);
    expect(records.map((x) => x.path)).toEqual(names.map((n, i) => `img-${i}-${sha(readFileSync(path.join(dir, n))).slice(0, 12)}`));
    expect(records.map((x) => x.text)).toEqual(names.map((n) => `About ${n}.`));
    for (const x of records) expect(Object.keys(x)).toEqual(RECORD_KEYS);
  });

  it('fetch --wait polls until Ctrl-C: exit 130, nothing on stdout', async () => {
    const { dir } = folder(1);
    emu.set({ batchPollsToComplete: 1000 });
    const kv = machine();
    const id = (await kv(['batch', 'submit', '.', '-q'], { cwd: dir })).stdout.trim();
    let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
    let polls = 0;
    emu.set({ onRequestEnd: (req) => void (req.path === `/v1/batches/${id}` && ++polls === 3 && child?.kill('SIGINT')) });
    const r = await kv(['batch', 'fetch', id, '--wait', '--poll-interval', '0.02'], { onSpawn: (c) => (child = c) });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`waiting for ${id} (in_progress: 0 of 1 done, 0 failed)`);
  });

  it('an unknown batch id: a clear message, exit 5', async () => {
    const r = await machine()(['batch', 'fetch', 'batch_nope']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`error: no batch batch_nope at 127.0.0.1:${emu.port} (404 resource_not_found_error`);
  });
});
