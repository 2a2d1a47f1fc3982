// Answers that mean the base URL is not the API's own address: a 404 for the path itself, or a
// redirect. Both are usage errors (exit 2) that say how to fix the base URL; neither is retried.
// Redirects are never followed: the key and the request would go to another address.
import { type ApiError, UsageError } from '../errors.js';
import { redactUrl } from '../secrets.js';

const SET_IT = '--base-url, MOONSHOT_BASE_URL or `kimi-vision config set base_url`';
const EXAMPLES = 'e.g. https://api.moonshot.cn/v1 or https://api.moonshot.ai/v1';

const REDIRECTS: Record<number, string> = {
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

/** The base URL as shown: credentials as `***`, no trailing slash. */
function shownBase(baseUrl: string): string {
  return redactUrl(baseUrl).replace(/\/+$/, '');
}

/**
 * A 404 for the path itself, not for a model, batch or file: not Moonshot's resource_not_found_error
 * (a gateway's page), or one naming the path. Every path kimi-vision calls exists under the right
 * base URL, so this means the base URL is wrong (most often: it lacks /v1).
 */
export function isPathNotFound(err: ApiError, path: string): boolean {
  return err.status === 404 && (err.type !== 'resource_not_found_error' || err.message.includes(path));
}

export function wrongBaseUrl(baseUrl: string, method: string, path: string): UsageError {
  const shown = shownBase(baseUrl);
  const lacksV1 = !/\/v1$/.test(new URL(baseUrl).pathname.replace(/\/+$/, ''));
  return new UsageError(
    `${shown} does not look like the API's base URL: ${method} ${path} answered 404 Not Found.`,
    lacksV1 ? `Moonshot's base URL ends in /v1: try ${shown}/v1 (${SET_IT}).` : `Check the host and path of --base-url / MOONSHOT_BASE_URL: ${EXAMPLES}.`,
  );
}

/**
 * A 3xx answer to `method path` under `baseUrl`, with its Location (relative or absolute). When the
 * target is the same path under another base, that base is the fix; credentials are never shown.
 */
export function redirectError(baseUrl: string, method: string, path: string, status: number, location: string | undefined): UsageError {
  const shown = shownBase(baseUrl);
  const what = `${status}${REDIRECTS[status] ? ` ${REDIRECTS[status]}` : ''}`;
  let target: URL | undefined;
  try {
    target = location ? new URL(location, `${baseUrl.replace(/\/+$/, '')}${path}`) : undefined;
  } catch {
    target = undefined;
  }
  const to = target ? redactUrl(target.href) : location ? redactUrl(location) : undefined;
  const message = to
    ? `${shown} answered ${method} ${path} with a redirect (${what}) to ${to}; kimi-vision does not follow redirects (the key and the request would go to another address).`
    : `${shown} answered ${method} ${path} with a redirect (${what}) that names no target.`;
  // (an origin never carries credentials)
  const base = target?.pathname.endsWith(path) ? `${target.origin}${target.pathname.slice(0, -path.length)}` : undefined;
  const own = new URL(baseUrl);
  const hint =
    base === `${own.origin}${own.pathname.replace(/\/+$/, '')}`
      ? `It sends kimi-vision back to the same address: a proxy or gateway in front of the API may be misconfigured (${SET_IT}).`
      : base
        ? `If that is the API, use it as the base URL: ${base} (${SET_IT}).`
        : `Set the API's own address as the base URL (${SET_IT}): ${EXAMPLES}.`;
  return new UsageError(message, hint);
}
