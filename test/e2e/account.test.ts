// The real bin against the emulator: models, balance, --exact, and the config file.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runBin, type Result, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ keys: undefined, balance: 49.58, modelFields: 'extended', reply: undefined });
});

const KEY = 'sk-test-account-0123456789';
const LIVE = ['kimi-k2.6', 'kimi-k2.7-code', 'kimi-k2.7-code-highspeed', 'kimi-k3', 'kimi-k3.1-pro', 'kimi-k3.1-pro-highspeed'];

function kv(args: string[], o: SpawnOptions = {}): Promise<Result> {
  return runBin(args, { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
}

/** Rows of the models table on stdout (header dropped), split on runs of 2+ spaces. */
function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s{2,}/));
}

describe('models', () => {
  it('lists what GET /v1/models returns, merged with the table: images, video, context, thinking, prices, default', async () => {
    const r = await kv(['models']);
    expect(r.code).toBe(0);
    expect(emu.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v1/models']);
    expect(emu.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+IMAGES\s+VIDEO\s+CONTEXT\s+THINKING\s+¥\/1M IN \/ OUT\s+STATUS$/);
    const rows = tableRows(r.stdout);
    expect(rows.map((c) => c[0])).toEqual(['kimi-k2.6 *', ...LIVE.slice(1)]);
    expect(rows[0]).toEqual(['kimi-k2.6 *', 'yes', 'yes', '256K', 'on/off', '6.50 / 27.00', 'available']);
    expect(rows[1]).toEqual(['kimi-k2.7-code', 'yes', 'yes', '256K', 'always', '≈6.46 / 27.20', 'available']);
    expect(rows[4]).toEqual(['kimi-k3.1-pro', 'yes', 'no', '1M', 'low/high/max', '≈13.60 / 68.00', 'available']);
    expect(r.stderr).toMatch(/^\* the model describe uses \(kimi-k2\.6, built-in default\)/m);
    expect(r.stderr).toMatch(/^≈ converted from the other platform's price at 6\.8 CNY per USD$/m);
    expect(r.stderr).not.toContain('not available');
    expect(r.stderr).not.toContain(KEY);
  });

  it('prints one JSON array with --format json, and copes with items that carry only ids (minimal fields)', async () => {
    const full = JSON.parse((await kv(['models', '--format', 'json'])).stdout) as Record<string, unknown>[];
    emu.set({ modelFields: 'minimal' });
    const r = await kv(['models', '--format', 'json']);
    expect(r.code).toBe(0);
    const minimal = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(minimal.map((m) => m.id)).toEqual(LIVE);
    expect(minimal).toEqual(full);
    expect(minimal[0]).toEqual({
      id: 'kimi-k2.6',
      default: true,
      listed: true,
      in_table: true,
      images: true,
      video: true,
      context: 262144,
      thinking: 'optional',
      efforts: null,
      price: { currency: 'CNY', input: 6.5, cached_input: null, output: 27, derived: false },
      retired: null,
      status: 'available',
    });
    expect(minimal[3]).toMatchObject({ id: 'kimi-k3', default: false, context: 1048576, thinking: 'effort', efforts: ['low', 'high', 'max'] });
  });

  it('says which table models the key does not have, and where describe will fall back', async () => {
    emu.set({ keys: { [KEY]: { models: ['kimi-k3', 'kimi-k3.1-pro'] } } });
    const r = await kv(['models']);
    expect(r.code).toBe(0);
    expect(tableRows(r.stdout).map((c) => c[0])).toEqual(['kimi-k3', 'kimi-k3.1-pro']);
    expect(r.stderr).toContain('not available to this key: kimi-k2.6, kimi-k2.7-code, kimi-k2.7-code-highspeed, kimi-k3.1-pro-highspeed (--all lists them)');
    expect(r.stderr).toContain('kimi-k2.6 is not available to this key; describe will fall back to kimi-k3.1-pro');

    const all = await kv(['models', '--all']);
    const rows = tableRows(all.stdout);
    expect(rows.find((c) => c[0] === 'kimi-k2.6 *')?.at(-1)).toBe('not available to this key');
    expect(rows.find((c) => c[0] === 'kimi-k3')?.at(-1)).toBe('available');
    expect(rows.find((c) => c[0] === 'moonshot-v1-8k-vision-preview')?.at(-1)).toBe('retired 2026-08');
    expect(rows).toHaveLength(10);

    const json = JSON.parse((await kv(['models', '--all', '--format', 'json'])).stdout) as { id: string; status: string; listed: boolean }[];
    expect(json.find((m) => m.id === 'kimi-k2.6')).toMatchObject({ listed: false, status: 'not_available' });
    expect(json.find((m) => m.id === 'kimi-k2.5')).toMatchObject({ listed: false, status: 'retired' });
  });

  it('--offline prints the table alone: no key, nothing sent, prices in the platform currency', async () => {
    const r = await runBin(['models', '--offline', '--base-url', 'https://api.moonshot.ai/v1']);
    expect(r.code).toBe(0);
    expect(emu.requests).toHaveLength(0);
    const rows = tableRows(r.stdout);
    expect(rows).toHaveLength(10);
    expect(r.stdout.split('\n')[0]).toContain('$/1M IN / OUT');
    expect(rows[0]).toEqual(['kimi-k2.6 *', 'yes', 'yes', '256K', 'on/off', '0.95 / 4.00']);
    expect(rows.find((c) => c[0] === 'moonshot-v1-8k-vision-preview')).toEqual(['moonshot-v1-8k-vision-preview', 'yes', 'no', '8K', 'no', '≈0.29 / 1.47', 'retired 2026-08']);
  });

  it('needs a key (exit 4, nothing sent) and explains a rejected one (exit 4)', async () => {
    const none = await kv(['models'], { env: { MOONSHOT_API_KEY: undefined } });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('MOONSHOT_API_KEY is not set');
    expect(emu.requests).toHaveLength(0);
    emu.set({ keys: { 'sk-other': {} } });
    const bad = await kv(['models']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/^error: the API key was rejected \(401 invalid_authentication_error/m);
    expect(bad.stdout).toBe('');
  });
});

describe('balance', () => {
  it('prints available, voucher and cash with the currency symbol; --format json prints the data object', async () => {
    const r = await kv(['balance']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('available  ¥49.58\nvoucher    ¥46.58\ncash        ¥3.00\n');
    expect(r.stderr).toBe('');
    expect(emu.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v1/users/me/balance']);
    const json = await kv(['balance', '--format', 'json'], { env: { KIMI_VISION_CURRENCY: 'USD' } });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ available_balance: 49.58, voucher_balance: 46.58, cash_balance: 3, currency: 'USD' });
  });

  it('exits 6 with a warning on stderr when nothing is available', async () => {
    emu.set({ balance: 0 });
    const r = await kv(['balance']);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/^available {2}¥0\.00$/m);
    expect(r.stderr).toMatch(/^warning: the available balance is ¥0\.00: Moonshot refuses requests until the account is topped up/m);
    emu.set({ keys: { [KEY]: { balance: -2.5 } } });
    const json = await kv(['balance', '--format', 'json']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout)).toMatchObject({ available_balance: -2.5 });
    expect(json.stderr).toContain('-¥2.50');
  });
});

describe('describe --exact', () => {
  const PROMPT = '这张照片里有什么？请用三句话描述主要物体、颜色和背景。';
  const photo = readFileSync(path.join(FIXTURES, 'photo.jpg'));

  /** What the emulator's token counter says for this image and prompt, asked directly. */
  async function emulatorCount(): Promise<number> {
    const res = await fetch(`${emu.baseUrl}/tokenizers/estimate-token-count`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'kimi-k2.6',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${photo.toString('base64')}` } },
              { type: 'text', text: PROMPT },
            ],
          },
        ],
      }),
    });
    return ((await res.json()) as { data: { total_tokens: number } }).data.total_tokens;
  }

  it('with --dry-run: asks the token counter (same messages, image inlined), prints its count as exact; no chat', async () => {
    const local = JSON.parse((await kv(['describe', 'fixtures/photo.jpg', '-p', PROMPT, '--dry-run', '--format', 'json'])).stdout);
    expect(emu.requests).toHaveLength(0);
    const r = await kv(['describe', 'fixtures/photo.jpg', '-p', PROMPT, '--dry-run', '--exact', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(0);
    expect(emu.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/tokenizers/estimate-token-count']);
    const sent = emu.requests[0]!;
    expect(sent.body).toEqual({
      model: 'kimi-k2.6',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: expect.stringMatching(/^data:image\/jpeg;base64,/) } },
            { type: 'text', text: PROMPT },
          ],
        },
      ],
    });
    expect(sent.images.map((i) => i.bytes)).toEqual([photo.length]);
    const out = JSON.parse(r.stdout);
    const exact = await emulatorCount();
    expect(out.estimate.input_tokens).toBe(exact);
    expect(out.estimate.exact).toBe(true);
    expect(exact).not.toBe(local.estimate.input_tokens);
    expect(out.estimate.image_tokens).toBe(local.estimate.image_tokens);
    expect(out.estimate.cost.amount).toBeCloseTo((exact * 6.5) / 1e6, 6);
  });

  it('without --dry-run: counts first, shows the exact figure, then sends the chat request', async () => {
    const r = await kv(['describe', 'fixtures/photo.jpg', '-p', PROMPT, '--exact']);
    expect(r.code).toBe(0);
    expect(emu.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/tokenizers/estimate-token-count', 'POST /v1/chat/completions']);
    const exact = await emulatorCount();
    expect(r.stderr).toMatch(new RegExp(`^1 image · ${exact.toLocaleString('en-US')} input tokens \\(exact\\) · kimi-k2\\.6 · est\\. ¥`, 'm'));
  });

  it('needs a key even with --dry-run (exit 4, nothing sent)', async () => {
    const r = await kv(['describe', 'fixtures/photo.jpg', '--dry-run', '--exact'], { env: { MOONSHOT_API_KEY: undefined } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('--exact asks the API to count the tokens, so it needs MOONSHOT_API_KEY (also with --dry-run)');
    expect(r.stdout).toBe('');
    expect(emu.requests).toHaveLength(0);
  });
});

describe('config', () => {
  /** One HOME for a sequence of runs, no key or base URL in the environment unless given. */
  function user() {
    const home = isolatedHome();
    const file = path.join(home.XDG_CONFIG_HOME!, 'kimi-vision', 'config.json');
    const run = (args: string[], o: SpawnOptions = {}) => runBin(args, { ...o, env: { ...home, ...o.env } });
    return { home, file, run };
  }

  it('an empty HOME does not put the config file under the current folder: the user database gives the home', async () => {
    const r = await runBin(['config', 'path'], { env: { HOME: '', XDG_CONFIG_HOME: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${path.join(userInfo().homedir, '.config', 'kimi-vision', 'config.json')}\n`);
  });

  it('set, get, list, unset round trip in $XDG_CONFIG_HOME/kimi-vision/config.json', async () => {
    const u = user();
    expect((await u.run(['config', 'path'])).stdout).toBe(`${u.file}\n`);
    for (const [k, v] of [
      ['model', 'kimi-k3'],
      ['prompt', 'Write alt text.'],
      ['format', 'json'],
      ['base_url', `${emu.baseUrl}/`],
    ] as const) {
      const r = await u.run(['config', 'set', k, v]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
    }
    expect(JSON.parse(readFileSync(u.file, 'utf8'))).toEqual({ model: 'kimi-k3', base_url: emu.baseUrl, prompt: 'Write alt text.', format: 'json' });
    expect(await u.run(['config', 'get', 'model'])).toMatchObject({ code: 0, stdout: 'kimi-k3\n' });
    const list = await u.run(['config', 'list'], { env: { KIMI_VISION_MODEL: 'kimi-k3.1-pro' } });
    const pad = emu.baseUrl.length + 2;
    expect(list.stdout).toBe(
      [
        ['model', 'kimi-k3.1-pro', 'env KIMI_VISION_MODEL'],
        ['base_url', emu.baseUrl, 'config'],
        ['prompt', 'Write alt text.', 'config'],
        ['format', 'json', 'config'],
        ['api_key', '-', 'not set'],
      ]
        .map(([k, v, source]) => `${k!.padEnd(10)}${v!.padEnd(pad)}${source}\n`)
        .join(''),
    );
    expect(list.stderr).toContain(`config file: ${u.file}`);
    expect(await u.run(['config', 'unset', 'prompt'])).toMatchObject({ code: 0, stdout: '' });
    expect(await u.run(['config', 'get', 'prompt'])).toMatchObject({ code: 0, stdout: '', stderr: `prompt is not set in ${u.file} (default: Describe the image.)\n` });
    const json = JSON.parse((await u.run(['config', 'list', '--format', 'json'])).stdout);
    expect(json).toMatchObject({
      path: u.file,
      exists: true,
      settings: { prompt: { value: 'Describe the image.', source: 'default' }, format: { value: 'json', source: 'config' } },
    });
  });

  it('refuses unknown keys and bad values with exit 2, writing nothing', async () => {
    const u = user();
    for (const args of [
      ['set', 'colour', 'red'],
      ['get', 'colour'],
      ['unset', 'colour'],
      ['set', 'format', 'xml'],
      ['set', 'base_url', 'ftp://x'],
      ['set', 'model'],
    ]) {
      const r = await u.run(['config', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /m);
    }
    expect(existsSync(u.file)).toBe(false);
  });

  it('stores the key from stdin only, 0600, and never shows it', async () => {
    const u = user();
    const SECRET = 'sk-config-secret-4242';
    const argv = await u.run(['config', 'set', 'api_key', SECRET]);
    expect(argv.code).toBe(2);
    expect(argv.stderr).toContain('reads the key from stdin, not from the command line');
    expect(argv.stderr + argv.stdout).not.toContain(SECRET);
    expect(existsSync(u.file)).toBe(false);

    const outputs: Result[] = [];
    const set = await u.run(['config', 'set', 'api_key', '-'], { stdin: `${SECRET}\n` });
    expect(set.code).toBe(0);
    outputs.push(set);
    expect(statSync(u.file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(u.file, 'utf8'))).toEqual({ api_key: SECRET });
    const get = await u.run(['config', 'get', 'api_key']);
    expect(get.stdout).toBe('set (hidden)\n');
    outputs.push(get);
    const list = await u.run(['config', 'list']);
    expect(list.stdout).toMatch(/^api_key {3}set \(hidden\) +config$/m);
    outputs.push(list, await u.run(['config', 'list', '--format', 'json']));
    outputs.push(await u.run(['models'], { env: { MOONSHOT_BASE_URL: emu.baseUrl, KIMI_VISION_DEBUG: '1' } }));
    expect(outputs.at(-1)!.code).toBe(0);
    expect(emu.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(SECRET);

    const empty = await u.run(['config', 'set', 'api_key'], { stdin: '' });
    expect(empty.code).toBe(2);
    const two = await u.run(['config', 'set', 'api_key', '-'], { stdin: 'sk-a\nsk-b\n' });
    expect(two.code).toBe(2);
    expect(JSON.parse(readFileSync(u.file, 'utf8'))).toEqual({ api_key: SECRET });
  });

  it('does not use a key in a file others can read: warns with chmod 600 <path>, exit 4, nothing sent', async () => {
    const u = user();
    await u.run(['config', 'set', 'api_key', '-'], { stdin: 'sk-exposed-key' });
    chmodSync(u.file, 0o644);
    const r = await u.run(['balance'], { env: { MOONSHOT_BASE_URL: emu.baseUrl } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`warning: the API key in ${u.file} is not used: the file is readable by others (mode 0644). Run: chmod 600 ${u.file}`);
    expect(r.stderr).not.toContain('sk-exposed-key');
    expect(emu.requests).toHaveLength(0);
    chmodSync(u.file, 0o600);
    expect((await u.run(['balance'], { env: { MOONSHOT_BASE_URL: emu.baseUrl } })).code).toBe(0);
  });

  it('flag > env > config > default, as the emulator sees it (model, base URL, key, prompt, format)', async () => {
    const u = user();
    await u.run(['config', 'set', 'api_key', '-'], { stdin: 'sk-from-config' });
    await u.run(['config', 'set', 'model', 'kimi-k3']);
    await u.run(['config', 'set', 'base_url', emu.baseUrl]);
    await u.run(['config', 'set', 'prompt', 'Write alt text.']);
    await u.run(['config', 'set', 'format', 'json']);
    const sent = () => {
      const q = emu.chatRequests().at(-1)!;
      const body = q.body as { model: string; messages: { content: { type: string; text?: string }[] }[] };
      return { model: body.model, key: q.headers.authorization, prompt: body.messages.at(-1)!.content.at(-1)!.text };
    };

    const fromConfig = await u.run(['describe', 'fixtures/small.png']);
    expect(fromConfig.code).toBe(0);
    expect(sent()).toEqual({ model: 'kimi-k3', key: 'Bearer sk-from-config', prompt: 'Write alt text.' });
    expect(JSON.parse(fromConfig.stdout)).toMatchObject({ model: 'kimi-k3' });

    const env = { KIMI_VISION_MODEL: 'kimi-k3.1-pro', MOONSHOT_API_KEY: 'sk-from-env', MOONSHOT_BASE_URL: 'http://127.0.0.1:9/v1' };
    const refused = await u.run(['describe', 'fixtures/small.png', '--max-attempts', '1'], { env });
    expect(refused.code).toBe(75);
    expect(refused.stderr).toContain('connection refused by 127.0.0.1:9');

    const fromEnv = await u.run(['describe', 'fixtures/small.png', '--base-url', emu.baseUrl], { env });
    expect(fromEnv.code).toBe(0);
    expect(sent()).toEqual({ model: 'kimi-k3.1-pro', key: 'Bearer sk-from-env', prompt: 'Write alt text.' });

    const fromFlags = await u.run(['describe', 'fixtures/small.png', '--base-url', emu.baseUrl, '-m', 'kimi-k2.6', '-p', 'Flag prompt.', '--format', 'text'], { env });
    expect(fromFlags.code).toBe(0);
    expect(sent()).toEqual({ model: 'kimi-k2.6', key: 'Bearer sk-from-env', prompt: 'Flag prompt.' });
    expect(() => JSON.parse(fromFlags.stdout)).toThrow();
    for (const r of [fromConfig, refused, fromEnv, fromFlags]) expect(r.stdout + r.stderr).not.toMatch(/sk-from-(config|env)/);
  });

  it('stops at a corrupt config file with exit 2, naming it; nothing sent', async () => {
    const u = user();
    await u.run(['config', 'set', 'model', 'kimi-k3']);
    writeFileSync(u.file, '{"model": "kimi-k3",');
    const r = await u.run(['describe', 'fixtures/small.png'], { env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: damaged: ${u.file} (not valid JSON: `);
    expect(r.stderr).toContain(`rm ${u.file}`);
    expect(emu.requests).toHaveLength(0);
  });
});
