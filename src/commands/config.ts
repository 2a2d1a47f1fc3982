// `kimi-vision config set|get|list|unset|path`: the defaults kept in the config file.
// The API key is taken from stdin only (argv shows in ps and shell history) and never printed; a
// base URL is printed with the credentials it may carry (https://user:pass@host) hidden.
// `set` and `unset` change the file under its lock (config.ts): two at once both land.
import { Writable } from 'node:stream';
import { CONFIG_FORMATS, CONFIG_KEYS, ENV_FOR, isConfigKey, readConfigFile, updateConfigFile, configPath, type ConfigKey } from '../config.js';
import { EXIT, InterruptedError, UsageError } from '../errors.js';
import { readAll, type Io } from '../io.js';
import { DEFAULT_MODEL, findModel } from '../models.js';
import { Terminal } from '../output/terminal.js';
import { formatTable } from '../output/table.js';
import { defaultPrompt } from '../request/messages.js';
import { redactUrl } from '../secrets.js';
import { DEFAULT_BASE_URL, resolveSettings } from '../settings.js';

const HIDDEN = 'set (hidden)';

const DEFAULTS: Record<ConfigKey, string | undefined> = {
  model: DEFAULT_MODEL,
  base_url: DEFAULT_BASE_URL,
  prompt: defaultPrompt(1),
  format: 'text',
  api_key: undefined,
};

function checkKey(key: string): ConfigKey {
  if (!isConfigKey(key)) throw new UsageError(`unknown config key "${key}".`, `Known keys: ${CONFIG_KEYS.join(', ')}.`);
  return key;
}

export async function configSet(key: string, value: string | undefined, io: Io): Promise<number> {
  const k = checkKey(key);
  const term = await Terminal.open(io);
  if (k === 'api_key' && value !== undefined && value !== '-') {
    throw new UsageError(
      'config set api_key reads the key from stdin, not from the command line (argv shows in ps and in your shell history); nothing was stored.',
      'Run `printf %s "$MOONSHOT_API_KEY" | kimi-vision config set api_key -`, or `kimi-vision config set api_key` in a terminal to type it hidden. If you just typed a key here, remove it from your shell history.',
    );
  }
  if (k !== 'api_key' && value === undefined) throw new UsageError(`config set ${k} needs a value.`, `e.g. kimi-vision config set ${k} ${example(k)}`);
  // Read first: a damaged file is refused before a key is typed.
  const file = readConfigFile(io.env, (l) => term.warn(l));
  const v = k === 'api_key' ? await readKey(io, term) : checkValue(k, value ?? '', term);
  await updateConfigFile(file.path, (values) => ({ ...values, [k]: v }));
  term.line(k === 'api_key' ? `stored the API key in ${file.path} (readable by you alone, mode 0600)` : `${k} = ${shown(k, v)} (in ${file.path})`);
  const envName = ENV_FOR[k];
  if (envName && io.env[envName]?.trim()) term.warn(`note: ${envName} is set in this environment and takes precedence over the config file.`);
  return EXIT.ok;
}

export async function configGet(key: string, io: Io): Promise<number> {
  const k = checkKey(key);
  const term = await Terminal.open(io);
  const file = readConfigFile(io.env, (l) => term.warn(l));
  const v = file.values[k];
  if (v === undefined) {
    const fallback = DEFAULTS[k];
    term.line(`${k} is not set in ${file.path}${fallback !== undefined ? ` (default: ${fallback})` : ''}`);
    return EXIT.ok;
  }
  io.stdout.write(`${shown(k, v)}\n`);
  return EXIT.ok;
}

export async function configUnset(key: string, io: Io): Promise<number> {
  const k = checkKey(key);
  const term = await Terminal.open(io);
  const file = readConfigFile(io.env, (l) => term.warn(l));
  let had = false;
  await updateConfigFile(file.path, (values) => {
    had = values[k] !== undefined; // as the file is now, under the lock
    if (!had) return undefined;
    const { [k]: _removed, ...rest } = values;
    return rest;
  });
  term.line(had ? `removed ${k} from ${file.path}` : `${k} was not set in ${file.path}; nothing to do`);
  return EXIT.ok;
}

export async function configPathCommand(io: Io): Promise<number> {
  io.stdout.write(`${configPath(io.env)}\n`);
  return EXIT.ok;
}

interface Effective {
  key: ConfigKey;
  value: string | null;
  /** `env NAME`, `config`, `default`, or `not set`. */
  source: string;
}

/** Each key's value as commands see it (env > config > default; flags aside), with where it comes from. */
export async function configList(o: { format: 'text' | 'json' }, io: Io): Promise<number> {
  const term = await Terminal.open(io);
  const file = readConfigFile(io.env, (l) => term.warn(l));
  const rows: Effective[] = CONFIG_KEYS.map((key) => {
    const envName = ENV_FOR[key];
    const fromEnv = envName ? io.env[envName]?.trim() : undefined;
    const fromFile = key === 'api_key' && file.keyRefused ? undefined : file.values[key];
    if (fromEnv) return { key, value: shown(key, fromEnv), source: `env ${envName}` };
    if (fromFile !== undefined) return { key, value: shown(key, fromFile), source: 'config' };
    const fallback = DEFAULTS[key];
    return fallback !== undefined ? { key, value: fallback, source: 'default' } : { key, value: null, source: 'not set' };
  });
  if (o.format === 'json') {
    const settings = Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }]));
    io.stdout.write(`${JSON.stringify({ path: file.path, exists: file.exists, settings })}\n`);
    return EXIT.ok;
  }
  term.note(`config file: ${file.path}${file.exists ? '' : ' (not created yet)'}`, 'dim');
  io.stdout.write(formatTable(rows.map((r) => [r.key, r.value ?? '-', r.source])));
  return EXIT.ok;
}

/** A value as it may be printed: never the key; a base URL without its credentials. */
function shown(k: ConfigKey, v: string): string {
  if (k === 'api_key') return HIDDEN;
  return k === 'base_url' ? redactUrl(v) : v;
}

function checkValue(k: Exclude<ConfigKey, 'api_key'>, raw: string, term: Terminal): string {
  const v = k === 'prompt' ? raw : raw.trim();
  if (v.trim() === '') throw new UsageError(`config set ${k} needs a non-empty value.`, `To remove it: kimi-vision config unset ${k}`);
  if (k === 'format' && !CONFIG_FORMATS.includes(v)) {
    throw new UsageError(`format must be one of ${CONFIG_FORMATS.join(', ')}, not "${v}".`);
  }
  if (k === 'base_url') {
    // The same check every command applies to the base URL (plain http is refused later, per command).
    return resolveSettings({ baseUrl: v, insecureHttp: true }, {}).baseUrl;
  }
  if (k === 'model') {
    const known = findModel(v);
    if (!known) term.warn(`note: ${v} is not in kimi-vision's model table (no price or context known); \`kimi-vision models\` lists what your key can use.`);
    else if (known.retired) term.warn(`warning: ${v} was retired in ${known.retired}; calls to it fail.`);
  }
  return v;
}

function example(k: ConfigKey): string {
  return { model: 'kimi-k3', base_url: 'https://api.moonshot.ai/v1', prompt: '"Write alt text."', format: 'json', api_key: '-' }[k];
}

/** The key from a pipe, or typed hidden on a terminal. One line, no spaces. */
async function readKey(io: Io, term: Terminal): Promise<string> {
  const raw = io.stdin.isTTY ? await promptHidden(io) : Buffer.from(await readAll(io.stdin)).toString('utf8');
  const key = raw.replace(/\r?\n$/, '').trim();
  const how = 'Pipe the key alone: printf %s "$MOONSHOT_API_KEY" | kimi-vision config set api_key -';
  if (key === '') throw new UsageError('no API key was read from stdin; nothing was stored.', how);
  if (/\s/.test(key)) throw new UsageError('the text read from stdin has spaces or several lines; it is not one API key. Nothing was stored.', how);
  if (!key.startsWith('sk-')) term.warn('note: Moonshot keys start with "sk-"; storing it anyway.');
  return key;
}

/** Reads one line from the terminal without echoing it. */
async function promptHidden(io: Io): Promise<string> {
  const { createInterface } = await import('node:readline');
  io.stderr.write('Moonshot API key (input hidden): ');
  const muted = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      rl.once('SIGINT', () => reject(new InterruptedError()));
      io.signal.addEventListener('abort', () => reject(new InterruptedError()), { once: true });
    });
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}
