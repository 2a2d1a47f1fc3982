// Where each setting comes from: flag, then environment, then the config file, then the default.
import { KvError, EXIT, UsageError } from './errors.js';
import { checkApiKey, redactUrl } from './secrets.js';
import { currencyFor, DEFAULT_MODEL, type Currency } from './models.js';

export const DEFAULT_BASE_URL = 'https://api.moonshot.cn/v1';

export interface Settings {
  model: string;
  /** True when the user chose the model (flag, env or config): it is never swapped for another. */
  modelChosen: boolean;
  baseUrl: string;
  currency: Currency;
}

export interface SettingFlags {
  model?: string | undefined;
  baseUrl?: string | undefined;
  insecureHttp?: boolean | undefined;
}

export type Config = Partial<Record<'model' | 'base_url' | 'prompt' | 'format' | 'api_key', string>>;

export function resolveSettings(flags: SettingFlags, env: Record<string, string | undefined>, config: Config = {}): Settings {
  const chosen = flags.model ?? nonEmpty(env.KIMI_VISION_MODEL) ?? config.model;
  const baseUrl = (flags.baseUrl ?? nonEmpty(env.MOONSHOT_BASE_URL) ?? config.base_url ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  checkBaseUrl(baseUrl, flags.insecureHttp === true);
  return {
    model: chosen ?? DEFAULT_MODEL,
    modelChosen: chosen !== undefined,
    baseUrl,
    currency: currencyFor(baseUrl, nonEmpty(env.KIMI_VISION_CURRENCY)),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** A URL, http(s); plain http only on loopback unless --insecure-http (the key would travel in clear).
 *  Messages show it with the credentials it may carry hidden (`https://***:***@host/v1`). */
function checkBaseUrl(baseUrl: string, insecureHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`the base URL ${redactUrl(baseUrl)} is not a URL.`, 'Use e.g. https://api.moonshot.cn/v1 or https://api.moonshot.ai/v1.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`the base URL ${redactUrl(baseUrl)} must start with https://.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !insecureHttp) {
    throw new UsageError(`refusing to send the API key over plain http to ${url.host}.`, 'Use https://, or pass --insecure-http if you really mean it.');
  }
}

/** The key, from MOONSHOT_API_KEY (or the config file); never from argv. */
export function apiKey(env: Record<string, string | undefined>, config: Config = {}): string {
  const fromEnv = nonEmpty(env.MOONSHOT_API_KEY);
  const key = fromEnv ?? config.api_key;
  if (!key) {
    throw new KvError(EXIT.auth, 'MOONSHOT_API_KEY is not set.', 'Create a key at platform.moonshot.cn (or .ai) and export MOONSHOT_API_KEY=sk-...; --dry-run needs no key.');
  }
  // Before anything is sent: a key a header cannot carry is the user's to fix, not a network error.
  checkApiKey(key, fromEnv !== undefined ? 'MOONSHOT_API_KEY' : 'the config file');
  return key;
}
