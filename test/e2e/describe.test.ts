// The real bin against the emulator: what a user sees on stdout and stderr, and the exit code.
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin, signalWhenInFlight, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ usagePlacement: 'choice', balance: 49.58, keys: undefined, reply: undefined, rpmLimit: undefined, retryAfterHeader: false, firstByteDelayMs: 0 });
});

const KEY = 'sk-test-e2e-0123456789';
const fx = (name: string) => path.join('fixtures', name);
const sha = (file: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(FIXTURES, '..', file)))
    .digest('hex');

function kv(args: string[], o: SpawnOptions = {}) {
  return runBin(['describe', ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
}

describe('describe: the happy path', () => {
  it('streams the answer to stdout, with the estimate and usage on stderr, in ONE request', async () => {
    emu.set({ reply: () => '截图里有一个按钮。A window with a button.' });
    const r = await kv([fx('screenshot.png'), fx('photo.jpg'), '-p', 'What is wrong in this UI?']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('截图里有一个按钮。A window with a button.\n');
    expect(r.stderr).toMatch(/^2 images · ~[\d,]+ input tokens \([\d,]+ image \+ [\d,]+ text\) · kimi-k2\.6 · est\. ¥[\d.]+ input$/m);
    expect(r.stderr).toMatch(/^[\d,]+ prompt \+ [\d,]+ completion tokens · ¥[\d.]+ · [\d.]+ s · session [\w-]+$/m);
    const reqs = emu.chatRequests();
    expect(reqs).toHaveLength(1);
    const body = reqs[0]!.body as { model: string; stream: boolean; thinking: unknown; messages: { role: string; content: unknown }[] };
    expect(body.model).toBe('kimi-k2.6');
    expect(body.stream).toBe(true);
    expect(body.thinking).toEqual({ type: 'disabled' });
    expect(body.messages).toHaveLength(1);
    const content = body.messages[0]!.content as { type: string }[];
    expect(content.map((p) => p.type)).toEqual(['image_url', 'image_url', 'text']);
    expect(content[2]).toEqual({ type: 'text', text: 'What is wrong in this UI?' });
    expect(reqs[0]!.images.map((i) => [i.mime, i.sha256])).toEqual([
      ['image/png', sha(fx('screenshot.png'))],
      ['image/jpeg', sha(fx('photo.jpg'))],
    ]);
    expect(reqs[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.stderr).not.toContain(KEY);
  });

  it('sends a system message first and the default prompt for one image; MIME from magic bytes', async () => {
    const r = await kv([fx('jpeg-named.png'), '-s', 'Be terse.']);
    expect(r.code).toBe(0);
    const body = emu.chatRequests()[0]!.body as { messages: { role: string; content: unknown }[] };
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
    expect((body.messages[1]!.content as unknown[])[1]).toEqual({ type: 'text', text: 'Describe the image.' });
    expect(emu.chatRequests()[0]!.images[0]!.mime).toBe('image/jpeg');
  });

  it('expands a quoted glob and directories, sorted, without duplicates', async () => {
    const r = await kv(['fixtures/dir/**/*.{png,jpg}', 'fixtures/dir', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { images: { path: string }[] };
    expect(out.images.map((i) => i.path)).toEqual(['fixtures/dir/a.png', 'fixtures/dir/nested/b.jpg']);
  });

  it('reads one image from stdin and prints one JSON object with --format json', async () => {
    emu.set({ usagePlacement: 'top', reply: () => 'A photo.' });
    const data = readFileSync(path.join(FIXTURES, 'photo.jpg'));
    const r = await kv(['-', '--format', 'json'], { stdin: data });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      model: 'kimi-k2.6',
      text: 'A photo.',
      finish_reason: 'stop',
      cost: { currency: 'CNY' },
      images: [{ path: '-', mime: 'image/jpeg', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }],
    });
    expect(out.usage.prompt_tokens).toBeGreaterThan(0);
    expect(out.usage.total_tokens).toBe(out.usage.prompt_tokens + out.usage.completion_tokens);
    expect(out.cost.amount).toBeGreaterThan(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('reads stdin when no input is given and stdin is a pipe', async () => {
    const r = await kv(['-q'], { stdin: readFileSync(path.join(FIXTURES, 'small.png')) });
    expect(r.code).toBe(0);
    expect(emu.chatRequests()[0]!.images[0]!.mime).toBe('image/png');
    expect(r.stderr).toBe('');
  });

  it('works without streaming, with usage in both placements, and sends max_completion_tokens (not the deprecated max_tokens) and temperature only when given', async () => {
    emu.set({ usagePlacement: 'both', reply: () => 'Whole.' });
    const r = await kv([fx('small.png'), '--no-stream', '--max-tokens', '50', '--temperature', '0.6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Whole.\n');
    const body = emu.chatRequests()[0]!.body as Record<string, unknown>;
    expect(body.stream).toBe(false);
    expect(body.max_completion_tokens).toBe(50);
    expect('max_tokens' in body).toBe(false);
    expect(body.temperature).toBe(0.6);
    await kv([fx('small.png')]);
    const second = emu.chatRequests()[1]!.body as Record<string, unknown>;
    expect('max_completion_tokens' in second || 'max_tokens' in second || 'temperature' in second).toBe(false);
  });

  it('prints a cut-off answer and says how to get more', async () => {
    emu.set({ reply: () => 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen' });
    const r = await kv([fx('small.png'), '--max-tokens', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/cut off .*finish_reason length.*--max-tokens \(now 3\)/);
  });
});

describe('describe --dry-run', () => {
  it('needs no key, sends nothing, and prints the exact body size', async () => {
    const r = await runBin(['describe', fx('screenshot.png'), fx('small.png'), '--dry-run', '--format', 'json'], { env: { MOONSHOT_BASE_URL: emu.baseUrl } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'images', 'estimate', 'request_bytes']);
    expect(Object.keys(out.estimate)).toEqual(['image_tokens', 'text_tokens', 'input_tokens', 'cost']);
    expect(out.images[0]).toEqual({
      path: 'fixtures/screenshot.png',
      mime: 'image/png',
      bytes: readFileSync(path.join(FIXTURES, 'screenshot.png')).length,
      sha256: sha(fx('screenshot.png')),
    });
    expect(emu.requests).toHaveLength(0);
    // The same body, sent for real, has exactly that size.
    await kv([fx('screenshot.png'), fx('small.png')]);
    expect(emu.chatRequests()[0]!.bodyBytes).toBe(out.request_bytes);
  });

  it('counts 1,024 tokens an image for the seed models and prices in USD on api.moonshot.ai', async () => {
    const seed = await runBin(['describe', fx('large.png'), fx('small.png'), '-m', 'moonshot-v1-8k-vision-preview', '--dry-run', '--format', 'json']);
    expect(JSON.parse(seed.stdout).estimate.image_tokens).toBe(2048);
    const usd = await runBin(['describe', fx('large.png'), '--base-url', 'https://api.moonshot.ai/v1', '--dry-run', '--format', 'json']);
    const e = JSON.parse(usd.stdout).estimate;
    expect(e.image_tokens).toBe(2691); // 1920x1080 under the K2 rule
    expect(e.cost.currency).toBe('USD');
  });
});

describe('describe: exit codes', () => {
  it('2: unknown option, bad value, no input matched', async () => {
    for (const args of [['--frobnicate'], ['x.png', '--max-tokens', 'lots'], ['x.png', '--format', 'xml'], ['fixtures/*.nothing']]) {
      const r = await kv(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect((await kv(['fixtures/*.nothing'])).stderr).toContain('no file matches fixtures/*.nothing');
    expect(emu.requests).toHaveLength(0);
  });

  it('3: missing file, unsupported image named in the message, nothing sent', async () => {
    const cases: [string, RegExp][] = [
      [fx('missing.png'), /fixtures\/missing\.png: no such file/],
      [fx('bad/text-named.png'), /text-named\.png: not a supported image .*looks like text/],
      [fx('bad/empty.png'), /empty\.png: .*looks like an empty file/],
      [fx('bad/truncated.png'), /truncated\.png: .*truncated/i],
      [fx('bad/drawing.svg'), /drawing\.svg: .*SVG/],
    ];
    for (const [file, msg] of cases) {
      const r = await kv([fx('small.png'), file]);
      expect(r.code, file).toBe(3);
      expect(r.stderr).toMatch(msg);
    }
    expect(emu.requests).toHaveLength(0);
  });

  it('3: a file or a request over 100 MB is refused before sending', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-big-'));
    const sparse = (name: string, mb: number) => {
      const file = path.join(dir, name);
      const fd = openSync(file, 'w');
      writeSync(fd, readFileSync(path.join(FIXTURES, 'small.png')));
      ftruncateSync(fd, mb * 1024 * 1024);
      closeSync(fd);
      return file;
    };
    const huge = await kv([sparse('huge.png', 2048)]); // 2 GB, refused from its size alone
    expect(huge.code).toBe(3);
    expect(huge.stderr).toMatch(/huge\.png: 2048\.0 MB is too large; encoded it would be over the API's 100 MB request limit/);
    const two = await kv([sparse('a.png', 40), sparse('b.png', 40)]); // each fine, together ~107 MB
    expect(two.code).toBe(3);
    expect(two.stderr).toMatch(/request would be 106\.\d MB; the API takes at most 100 MB/);
    expect(emu.requests).toHaveLength(0);
  });

  it('4: no key, and a rejected key', async () => {
    const none = await runBin(['describe', fx('small.png')], { env: { MOONSHOT_BASE_URL: emu.baseUrl } });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('MOONSHOT_API_KEY is not set');
    emu.set({ keys: { 'sk-other': {} } });
    const bad = await kv([fx('small.png')]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/API key was rejected \(401/);
    expect(bad.stderr).not.toContain(KEY);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('5: an explicitly named unknown or retired model is never swapped', async () => {
    const r = await kv([fx('small.png'), '-m', 'moonshot-v1-8k-vision-preview']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/model moonshot-v1-8k-vision-preview is unavailable \(retired 2026-08\)/);
    expect(r.stderr).toMatch(/kimi-vision models/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('5: content filter and bad requests are not retried', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'The request was rejected because it was considered high risk' });
    const r = await kv([fx('small.png')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/content filter/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('6: balance exhausted (never retried) and an estimate above --max-cost (nothing sent)', async () => {
    emu.set({ balance: 0 });
    const broke = await kv([fx('small.png')]);
    expect(broke.code).toBe(6);
    expect(broke.stderr).toMatch(/balance is exhausted/);
    expect(emu.chatRequests()).toHaveLength(1);
    emu.reset();
    const dear = await kv([fx('large.png'), '--max-cost', '0.0001']);
    expect(dear.code).toBe(6);
    expect(dear.stderr).toMatch(/estimated cost ¥[\d.]+ is above --max-cost ¥0\.0001; nothing was sent/);
    expect(emu.requests).toHaveLength(0);
  });

  it('75: a rate limit still failing after 3 attempts, each retry after the time the message names', async () => {
    for (let i = 0; i < 3; i++) {
      emu.queueFault({
        kind: 'error',
        status: 429,
        type: 'rate_limit_reached_error',
        message: 'Your account org-1 request reached organization max RPM: 3, please try again after 1 seconds',
      });
    }
    const r = await kv([fx('small.png')]);
    expect(r.code).toBe(75);
    expect(emu.chatRequests()).toHaveLength(3);
    const [a, b, c] = emu.chatRequests().map((q) => q.startedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(950);
    expect(c! - b!).toBeGreaterThanOrEqual(950);
    expect(r.stderr).toMatch(/rate limited by the API after 3 attempts/);
  });

  it('0 after a retried 500: the answer arrives once', async () => {
    emu.queueFault({ kind: 'error', status: 500, type: 'server_error', message: 'boom' });
    emu.set({ reply: () => 'Recovered.' });
    const r = await kv([fx('small.png')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Recovered.\n');
    expect(emu.chatRequests()).toHaveLength(2);
    expect(r.stderr).toMatch(/attempt 1 failed .*retrying/);
  });

  it('75: connection refused, after retries, with a clear message', async () => {
    const r = await runBin(['describe', fx('small.png'), '--max-attempts', '2'], { env: { MOONSHOT_BASE_URL: 'http://127.0.0.1:9/v1', MOONSHOT_API_KEY: KEY } });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/connection refused by 127\.0\.0\.1:9 \(after 2 attempts\)/);
  });

  it('75: a stream cut mid-answer keeps the printed text, says it is incomplete, and is not retried', async () => {
    emu.set({ reply: () => 'This answer will be cut somewhere in the middle of it.', splitWrites: false });
    emu.queueFault({ kind: 'reset-mid-stream', afterEvents: 4 });
    const r = await kv([fx('small.png')]);
    expect(r.code).toBe(75);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect('This answer will be cut somewhere in the middle of it.'.startsWith(r.stdout.trimEnd())).toBe(true);
    expect(r.stderr).toMatch(/incomplete/);
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('130: Ctrl-C while waiting stops the spinner and exits 130', async () => {
    emu.queueFault({ kind: 'stall-headers' });
    const r = await kv([fx('small.png')], {
      onSpawn: signalWhenInFlight(emu, 'SIGINT'),
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/interrupted/);
  });
});

describe('describe: model fallback', () => {
  it('falls back from the default along the preference list when the key cannot use it, and says so', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3', 'kimi-k3.1-pro'] } }, reply: () => 'Fallback answer.' });
    const r = await kv([fx('small.png')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Fallback answer.\n');
    expect(r.stderr).toMatch(/kimi-k2\.6 is not available to this key \(404\); using kimi-k3\.1-pro instead/);
    const bodies = emu.chatRequests().map((q) => q.body as Record<string, unknown>);
    expect(bodies.map((b) => b.model)).toEqual(['kimi-k2.6', 'kimi-k3.1-pro']);
    expect(bodies[1]!.reasoning_effort).toBe('low');
    expect(bodies[1]!.thinking).toBeUndefined();
  });

  it('--exact counts with the fallback model too, and the send then uses it', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3.1-pro'] } } });
    const dry = await kv([fx('small.png'), '--dry-run', '--exact', '--format', 'json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ model: 'kimi-k3.1-pro', estimate: { exact: true } });
    expect(dry.stderr).toMatch(/kimi-k2\.6 is not available to this key \(404\); using kimi-k3\.1-pro/);
    expect(emu.chatRequests()).toHaveLength(0);
    const sent = await kv([fx('small.png'), '--exact', '-q']);
    expect(sent.code).toBe(0);
    expect(emu.chatRequests().map((q) => (q.body as { model: string }).model)).toEqual(['kimi-k3.1-pro']);
  });

  it('never swaps a model named in KIMI_VISION_MODEL', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3'] } } });
    const r = await kv([fx('small.png')], { env: { KIMI_VISION_MODEL: 'kimi-k2.6' } });
    expect(r.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(1);
  });
});

describe('describe: the terminal', () => {
  it('keeps stdout the answer only, and KIMI_VISION_DEBUG shows request ids but never the key', async () => {
    const r = await kv([fx('small.png')], { env: { KIMI_VISION_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/debug: POST \/chat\/completions -> 200 in \d+ ms \(request id [\w-]+\)/);
    expect(r.stdout).not.toMatch(/debug|tokens|¥/);
    expect(r.stderr + r.stdout).not.toContain(KEY);
  });

  it('writes the final newline and nothing else when -q', async () => {
    emu.set({ reply: () => 'Quiet.' });
    const r = await kv([fx('small.png'), '-q']);
    expect(r).toMatchObject({ code: 0, stdout: 'Quiet.\n', stderr: '' });
  });
});
