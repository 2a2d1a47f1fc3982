// The config file: where it is, what it may hold, who may read a stored key, and precedence.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, loadConfig, readConfigFile, updateConfigFile, writeConfigFile } from '../../src/config.js';
import { KvError } from '../../src/errors.js';
import { apiKey, resolveSettings } from '../../src/settings.js';

function tempXdg() {
  const home = mkdtempSync(path.join(tmpdir(), 'kv-config-'));
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  const file = path.join(home, '.config', 'kimi-vision', 'config.json');
  const write = (text: string, mode = 0o600) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    chmodSync(file, mode);
  };
  return { home, env, file, write };
}

function load(env: Record<string, string>) {
  const warnings: string[] = [];
  const config = loadConfig(env, (l) => warnings.push(l));
  return { config, warnings };
}

function thrown(f: () => unknown): KvError {
  try {
    f();
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('configPath', () => {
  it.each([
    [{ KIMI_VISION_HOME: '/kv', XDG_CONFIG_HOME: '/x', HOME: '/h' }, '/kv/config.json'],
    [{ XDG_CONFIG_HOME: '/x', HOME: '/h' }, '/x/kimi-vision/config.json'],
    [{ XDG_CONFIG_HOME: 'relative/dir', HOME: '/h' }, '/h/.config/kimi-vision/config.json'],
    [{ XDG_CONFIG_HOME: '', HOME: '/h' }, '/h/.config/kimi-vision/config.json'],
    [{ XDG_CONFIG_HOME: '  ', HOME: '/h' }, '/h/.config/kimi-vision/config.json'],
    [{ KIMI_VISION_HOME: '  ', XDG_CONFIG_HOME: '/x', HOME: '/h' }, '/x/kimi-vision/config.json'],
  ])('%o -> %s', (env, expected) => {
    expect(configPath(env)).toBe(expected);
  });
});

describe('loadConfig', () => {
  it('is empty when there is no file, and reads the known keys of one', () => {
    const t = tempXdg();
    expect(load(t.env)).toEqual({ config: {}, warnings: [] });
    t.write(JSON.stringify({ model: 'kimi-k3', base_url: 'https://api.moonshot.ai/v1', prompt: 'Alt text.', format: 'json', api_key: 'sk-a' }));
    expect(load(t.env)).toEqual({
      config: { model: 'kimi-k3', base_url: 'https://api.moonshot.ai/v1', prompt: 'Alt text.', format: 'json', api_key: 'sk-a' },
      warnings: [],
    });
  });

  it('refuses a key in a file that group or others may read, with a warning saying chmod 600 <path>', () => {
    const t = tempXdg();
    t.write(JSON.stringify({ model: 'kimi-k3', api_key: 'sk-exposed' }), 0o644);
    const { config, warnings } = load(t.env);
    expect(config).toEqual({ model: 'kimi-k3' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`chmod 600 ${t.file}`);
    expect(warnings[0]).toContain('0644');
    expect(warnings[0]).not.toContain('sk-exposed');
    chmodSync(t.file, 0o640);
    expect(load(t.env).config.api_key).toBeUndefined();
    chmodSync(t.file, 0o600);
    expect(load(t.env)).toEqual({ config: { model: 'kimi-k3', api_key: 'sk-exposed' }, warnings: [] });
  });

  it('does not mind a readable file that holds no key', () => {
    const t = tempXdg();
    t.write(JSON.stringify({ model: 'kimi-k3' }), 0o644);
    expect(load(t.env)).toEqual({ config: { model: 'kimi-k3' }, warnings: [] });
  });

  it('warns about and ignores unknown keys', () => {
    const t = tempXdg();
    t.write(JSON.stringify({ model: 'kimi-k3', colour: 'red' }));
    const { config, warnings } = load(t.env);
    expect(config).toEqual({ model: 'kimi-k3' });
    expect(warnings[0]).toMatch(/unknown key "colour"/);
  });

  it.each([
    ['{"model": "kimi-k3",', /\(not valid JSON: /],
    ['["kimi-k3"]', /\(it must hold a JSON object like \{"model": "kimi-k2.6"\}, not an array\)/],
    ['null', /\(it must hold a JSON object .*, not null\)/],
    ['42', /\(it must hold a JSON object .*, not a number\)/],
    ['{"model": 3}', /\(model must be a non-empty string, not a number\)/],
    ['{"model": "  "}', /\(model must be a non-empty string, not an empty one\)/],
    ['{"api_key": ["sk-x"]}', /\(api_key must be a non-empty string, not an array\)/],
    ['{"format": "xml"}', /\(format is "xml"; it must be one of text, json\)/],
    ['\u00ff\u00fe{}', /\(not (UTF-8 text|valid JSON)/],
  ])('refuses %s as "damaged: <path>", exit 2, with a hint (never a TypeError)', (text, message) => {
    const t = tempXdg();
    t.write(text);
    const err = thrown(() => load(t.env));
    expect(err.exitCode).toBe(2);
    expect(err.message.startsWith(`damaged: ${t.file} (`)).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.hint).toContain(`rm ${t.file}`);
  });

  it('never shows a value it refuses (it may be the key)', () => {
    const t = tempXdg();
    t.write('{"api_key": 12345678901}');
    const err = thrown(() => load(t.env));
    expect(`${err.message} ${err.hint}`).not.toContain('12345678901');
  });

  it('a config path that is a FIFO or a device is refused at once, without blocking (exit 2)', () => {
    const t = tempXdg();
    mkdirSync(path.dirname(t.file), { recursive: true });
    execFileSync('mkfifo', [t.file]);
    const fifo = thrown(() => load(t.env));
    expect(fifo.exitCode).toBe(2);
    expect(fifo.message).toBe(`damaged: ${t.file} (a FIFO (named pipe), not a file).`);
    const dev = { ...t.env, KIMI_VISION_HOME: mkdtempSync(path.join(tmpdir(), 'kv-config-dev-')) };
    symlinkSync('/dev/zero', path.join(dev.KIMI_VISION_HOME, 'config.json'));
    expect(thrown(() => load(dev)).message).toMatch(/\(a device, not a file\)/);
  });
});

describe('updateConfigFile', () => {
  it('changes the file as it is at that moment, so changes made meanwhile are kept', async () => {
    const t = tempXdg();
    t.write(JSON.stringify({ model: 'kimi-k3' }));
    const stale = readConfigFile(t.env, () => {});
    t.write(JSON.stringify({ model: 'kimi-k3', prompt: 'Alt text.' })); // another run, after our read
    await updateConfigFile(stale.path, (values) => ({ ...values, format: 'json' }));
    expect(JSON.parse(readFileSync(t.file, 'utf8'))).toEqual({ model: 'kimi-k3', prompt: 'Alt text.', format: 'json' });
    expect(statSync(t.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(t.file))).toEqual(['config.json']); // no temporary, no lock left
  });

  it('many changes at once all land', async () => {
    const t = tempXdg();
    const keys = ['model', 'prompt', 'format', 'base_url'] as const;
    const values = { model: 'kimi-k3', prompt: 'p', format: 'json', base_url: 'https://api.moonshot.ai/v1' };
    await Promise.all(keys.map((k) => updateConfigFile(t.file, (v) => ({ ...v, [k]: values[k] }))));
    expect(JSON.parse(readFileSync(t.file, 'utf8'))).toEqual(values);
  });

  it('refuses to change a damaged file (exit 2), and leaves it as it is', async () => {
    const t = tempXdg();
    t.write('{"model": 3}');
    const err = await updateConfigFile(t.file, (v) => ({ ...v, prompt: 'p' })).then(
      () => undefined,
      (e: unknown) => e as KvError,
    );
    expect(err?.exitCode).toBe(2);
    expect(readFileSync(t.file, 'utf8')).toBe('{"model": 3}');
  });
});

describe('writeConfigFile', () => {
  it('creates the file 0600 and makes an existing 0644 file 0600 (a new file renamed over it)', async () => {
    const t = tempXdg();
    await writeConfigFile(t.file, { api_key: 'sk-b', model: 'kimi-k3' });
    expect(statSync(t.file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(t.file, 'utf8'))).toEqual({ model: 'kimi-k3', api_key: 'sk-b' });
    chmodSync(t.file, 0o644);
    const before = statSync(t.file).ino;
    await writeConfigFile(t.file, { model: 'kimi-k2.6', api_key: 'sk-b' });
    expect(statSync(t.file).mode & 0o777).toBe(0o600);
    expect(statSync(t.file).ino).not.toBe(before);
    expect(readConfigFile(t.env, () => {}).values).toEqual({ model: 'kimi-k2.6', api_key: 'sk-b' });
  });
});

describe('precedence: flag > env > config > default', () => {
  const config = { model: 'kimi-k3', base_url: 'https://api.moonshot.ai/v1', api_key: 'sk-config' };
  const env = { KIMI_VISION_MODEL: 'kimi-k3.1-pro', MOONSHOT_BASE_URL: 'https://gw.example/v1', MOONSHOT_API_KEY: 'sk-env' };

  it.each([
    ['flag', { model: 'kimi-k2.6', baseUrl: 'https://flag.example/v1' }, env, 'kimi-k2.6', 'https://flag.example/v1'],
    ['env', {}, env, 'kimi-k3.1-pro', 'https://gw.example/v1'],
    ['config', {}, {}, 'kimi-k3', 'https://api.moonshot.ai/v1'],
  ])('%s wins', (_name, flags, e, model, baseUrl) => {
    const s = resolveSettings(flags, e, config);
    expect(s).toMatchObject({ model, baseUrl, modelChosen: true });
  });

  it('falls back to the defaults, and the config base URL sets the currency', () => {
    expect(resolveSettings({}, {}, {})).toMatchObject({ model: 'kimi-k2.6', modelChosen: false, baseUrl: 'https://api.moonshot.cn/v1', currency: 'CNY' });
    expect(resolveSettings({}, {}, config).currency).toBe('USD');
  });

  it('takes the key from the environment before the config file', () => {
    expect(apiKey(env, config)).toBe('sk-env');
    expect(apiKey({}, config)).toBe('sk-config');
    expect(thrown(() => apiKey({}, {})).exitCode).toBe(4);
  });
});
