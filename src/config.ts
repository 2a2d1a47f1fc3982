// The config file: defaults for model, base_url, prompt, format and (guarded) api_key.
// Read once per command; written atomically, 0600, so a stored key is never readable by others.
import { homeDir } from './lazy.js';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT, KvError, UsageError } from './errors.js';
import { writeFileAtomic } from './store/atomic.js';
import { resolveSettings, type Config, type SettingFlags, type Settings } from './settings.js';

export type ConfigKey = keyof Config;

export const CONFIG_KEYS: readonly ConfigKey[] = ['model', 'base_url', 'prompt', 'format', 'api_key'];

/** The output formats `format` may hold (describe's --format choices). */
export const CONFIG_FORMATS: readonly string[] = ['text', 'json'];

/** The environment variable that overrides each key, where there is one. */
export const ENV_FOR: Partial<Record<ConfigKey, string>> = {
  model: 'KIMI_VISION_MODEL',
  base_url: 'MOONSHOT_BASE_URL',
  api_key: 'MOONSHOT_API_KEY',
};

type Env = Record<string, string | undefined>;

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/**
 * $KIMI_VISION_HOME/config.json when KIMI_VISION_HOME is set; else $XDG_CONFIG_HOME/kimi-vision/config.json
 * (XDG_CONFIG_HOME only when absolute, as the XDG spec says); else ~/.config/kimi-vision/config.json.
 */
export function configPath(env: Env): string {
  const own = env.KIMI_VISION_HOME?.trim();
  if (own) return path.resolve(own, 'config.json');
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || homeDir(), '.config');
  return path.join(base, 'kimi-vision', 'config.json');
}

export interface ConfigFile {
  path: string;
  exists: boolean;
  /** Every known key the file holds, api_key included even when refused. */
  values: Config;
  /** The file holds a key but group or others may read it: the key must not be used. */
  keyRefused: boolean;
}

/** Reads and checks the file. Corrupt JSON or a bad value: exit 2 naming the file. */
export function readConfigFile(env: Env, warn: (line: string) => void): ConfigFile {
  const file = configPath(env);
  let text: string;
  let mode: number;
  try {
    const fd = openSync(file, 'r');
    try {
      mode = fstatSync(fd).mode;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path: file, exists: false, values: {}, keyRefused: false };
    throw new KvError(EXIT.input, `cannot read the config file ${file} (${code ?? (err as Error).message}).`, `Check its permissions, or remove it: rm ${file}`);
  }
  const values = parseConfig(text, file, warn);
  const keyRefused = values.api_key !== undefined && process.platform !== 'win32' && (mode & 0o077) !== 0;
  if (keyRefused) {
    warn(`warning: the API key in ${file} is not used: the file is readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}). Run: chmod 600 ${file}`);
  }
  return { path: file, exists: true, values, keyRefused };
}

/** The config as settings use it: a key in a file others may read is left out. */
export function loadConfig(env: Env, warn: (line: string) => void): Config {
  const file = readConfigFile(env, warn);
  if (!file.keyRefused) return file.values;
  const { api_key: _refused, ...rest } = file.values;
  return rest;
}

function parseConfig(text: string, file: string, warn: (line: string) => void): Config {
  const fix = `Fix it in an editor, or remove it (rm ${file}) and set values again with \`kimi-vision config set\`.`;
  let data: unknown;
  try {
    data = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the config file ${file} is not valid JSON (${(err as Error).message}).`, fix);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`the config file ${file} must hold a JSON object like {"model": "kimi-k2.6"}.`, fix);
  }
  const out: Config = {};
  for (const [key, value] of Object.entries(data)) {
    if (!isConfigKey(key)) {
      warn(`warning: ignoring unknown key "${key}" in ${file} (known: ${CONFIG_KEYS.join(', ')}).`);
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new UsageError(`${key} in the config file ${file} must be a non-empty string.`, fix);
    }
    if (key === 'format' && !CONFIG_FORMATS.includes(value)) {
      throw new UsageError(`format in the config file ${file} is "${value}"; it must be one of ${CONFIG_FORMATS.join(', ')}.`, fix);
    }
    out[key] = value;
  }
  return out;
}

/** Writes the whole file: a new 0600 temp file in the same folder, then rename over the old one. */
export async function writeConfigFile(file: string, values: Config): Promise<void> {
  const ordered: Config = {};
  for (const key of CONFIG_KEYS) if (values[key] !== undefined) ordered[key] = values[key];
  try {
    await writeFileAtomic(file, `${JSON.stringify(ordered, null, 2)}\n`, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KvError(EXIT.input, `cannot write the config file ${file} (${code ?? (err as Error).message}).`, 'Check that its folder is writable, or point KIMI_VISION_HOME elsewhere.');
  }
}

/** The config file and the settings a command runs with (flag > environment > config file > default). */
export function commandSettings(flags: SettingFlags, env: Env, warn: (line: string) => void): { config: Config; settings: Settings } {
  const config = loadConfig(env, warn);
  return { config, settings: resolveSettings(flags, env, config) };
}
