// The config file: defaults for model, base_url, prompt, format and (guarded) api_key.
// Read once per command, safely (a FIFO or a device in its place is refused without blocking; what
// is not a JSON object of strings is "damaged", exit 2); changed under its lock, so two `config set`
// at once both land; written atomically and durably, 0600, so a stored key is never readable by others.
import { DamagedStateError } from './errors.js';
import { writeFileAtomic } from './store/atomic.js';
import { configFile } from './store/paths.js';
import { readStateFile } from './store/state-file.js';
import { updateFile } from './store/update.js';
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

/** A config file is a few lines; anything this big is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/** Where the config file is: store/paths.ts has the rules (KIMI_VISION_HOME, then XDG_CONFIG_HOME when absolute, then ~/.config). */
export function configPath(env: Env, cwd?: string): string {
  return configFile(env, cwd);
}

export interface ConfigFile {
  path: string;
  exists: boolean;
  /** Every known key the file holds, api_key included even when refused. */
  values: Config;
  /** The file holds a key but group or others may read it: the key must not be used. */
  keyRefused: boolean;
}

/** Reads and checks the file. Not JSON, or not an object of the known string values: exit 2 naming the file. */
export function readConfigFile(env: Env, warn: (line: string) => void): ConfigFile {
  const file = configPath(env);
  const read = readStateFile(file, { maxBytes: MAX_CONFIG_BYTES, hint: fixHint(file) });
  if (!read) return { path: file, exists: false, values: {}, keyRefused: false };
  const values = parseConfig(read.text, file, warn);
  const keyRefused = values.api_key !== undefined && process.platform !== 'win32' && (read.mode & 0o077) !== 0;
  if (keyRefused) {
    warn(`warning: the API key in ${file} is not used: the file is readable by others (mode ${(read.mode & 0o777).toString(8).padStart(4, '0')}). Run: chmod 600 ${file}`);
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

function fixHint(file: string): string {
  return `Fix it in an editor, or remove it (rm ${file}) and set values again with \`kimi-vision config set\`.`;
}

/** The file's values; what is not a JSON object of non-empty strings is damaged (never a value shown: one may be the key). */
function parseConfig(text: string, file: string, warn: (line: string) => void): Config {
  const damaged = (detail: string) => new DamagedStateError(file, detail, fixHint(file));
  let data: unknown;
  try {
    data = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw damaged(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw damaged(`it must hold a JSON object like {"model": "kimi-k2.6"}, not ${data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`}`);
  }
  const out: Config = {};
  for (const [key, value] of Object.entries(data)) {
    if (!isConfigKey(key)) {
      warn(`warning: ignoring unknown key "${key}" in ${file} (known: ${CONFIG_KEYS.join(', ')}).`);
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw damaged(
        `${key} must be a non-empty string, not ${typeof value === 'string' ? 'an empty one' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
      );
    }
    if (key === 'format' && !CONFIG_FORMATS.includes(value)) {
      throw damaged(`format is "${value}"; it must be one of ${CONFIG_FORMATS.join(', ')}`);
    }
    out[key] = value;
  }
  return out;
}

function configText(values: Config): string {
  const ordered: Config = {};
  for (const key of CONFIG_KEYS) if (values[key] !== undefined) ordered[key] = values[key];
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Writes the whole file: a new 0600 temporary in the same folder, synced, then renamed over the old one. */
export async function writeConfigFile(file: string, values: Config): Promise<void> {
  await writeFileAtomic(file, configText(values), { mode: 0o600, durable: true });
}

/**
 * Changes the file under its lock: `change` gets the values the file holds at that moment (not
 * those read earlier), so two `config set` at once both land. `change` returns the new values, or
 * undefined to leave the file as it is. Resolves to what the file holds afterwards.
 */
export async function updateConfigFile(file: string, change: (values: Config) => Config | undefined): Promise<Config> {
  let now: Config = {};
  await updateFile(
    file,
    (current) => {
      now = current === undefined ? {} : parseConfig(current, file, () => {}); // (its warnings were said when it was first read)
      const next = change(now);
      if (next === undefined) return undefined;
      now = next;
      return configText(next);
    },
    { mode: 0o600, durable: true, maxBytes: MAX_CONFIG_BYTES, hint: fixHint(file), what: `the config file ${file}` },
  );
  return now;
}

/** The config file and the settings a command runs with (flag > environment > config file > default). */
export function commandSettings(flags: SettingFlags, env: Env, warn: (line: string) => void): { config: Config; settings: Settings } {
  const config = loadConfig(env, warn);
  return { config, settings: resolveSettings(flags, env, config) };
}
