// The undici dispatcher (timeouts, proxies) and the mapping of transport failures to typed errors.
import type { Dispatcher } from 'undici';
import { NetworkError } from '../errors.js';

export interface Timeouts {
  /** TCP + TLS connect. */
  connectMs: number;
  /** From the end of the request to the response headers. */
  headersMs: number;
  /** Longest silence between two reads of the response body. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, headersMs: 120_000, idleMs: 120_000 };

/** undici, loaded on first use: it costs more start-up time than the rest of the CLI together.
 *  (Bundled, a lazily loaded CommonJS module arrives as its `default` export.) */
export function loadUndici(): Promise<typeof import('undici')> {
  // Kept: in the bundle each import() builds a fresh namespace object (a getter per export), and
  // --each calls this per request: megabytes of garbage a run, promoted before it died.
  undici ??= import('undici').then((m) => ('Agent' in m ? m : (m as unknown as { default: typeof import('undici') }).default));
  return undici;
}
let undici: Promise<typeof import('undici')> | undefined;

/** Proxies from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), as curl reads them. */
export async function makeDispatcher(t: Timeouts, env: Record<string, string | undefined>): Promise<Dispatcher> {
  const { Agent, EnvHttpProxyAgent } = await loadUndici();
  const opts = { connect: { timeout: t.connectMs }, headersTimeout: t.headersMs, bodyTimeout: t.idleMs };
  const get = (k: string) => env[k] ?? env[k.toLowerCase()];
  const httpProxy = get('HTTP_PROXY');
  const httpsProxy = get('HTTPS_PROXY');
  if (!httpProxy && !httpsProxy) return new Agent(opts);
  return new EnvHttpProxyAgent({
    ...opts,
    ...(httpProxy ? { httpProxy } : {}),
    ...(httpsProxy ? { httpsProxy } : {}),
    noProxy: get('NO_PROXY') ?? '',
  });
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH)/;

/** The innermost code among an error and its causes. */
function errorCode(err: unknown): string | undefined {
  let code: string | undefined;
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') code = e.code;
  }
  return code;
}

/** A transport failure as a NetworkError saying what happened and what to do. */
export function networkError(err: unknown, host: string, timeouts: Timeouts, partial: boolean): NetworkError {
  if (err instanceof NetworkError) return err;
  const code = errorCode(err) ?? (err as Error)?.name ?? 'unknown';
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  const incomplete = partial ? ' The answer above is incomplete.' : '';
  const m = (text: string, hint?: string) => new NetworkError(code, text + incomplete, hint, partial);
  if (code === 'ECONNREFUSED') return m(`connection refused by ${host}.`, 'Check --base-url / MOONSHOT_BASE_URL and your network.');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return m(`cannot resolve ${host} (DNS).`, 'Check the host name and your network or proxy.');
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return m(`no connection to ${host} within ${s(timeouts.connectMs)}.`, 'Check your network or proxy; raise --timeout if it is slow.');
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return m(`${host} sent no answer within ${s(timeouts.headersMs)}.`, 'Try again later, or raise --timeout.');
  if (code === 'UND_ERR_BODY_TIMEOUT') return m(`the answer from ${host} stalled for ${s(timeouts.idleMs)}.`, 'Try again; raise --timeout for slow models.');
  if (TLS_CODES.test(code)) {
    return new NetworkError(code, `TLS handshake with ${host} failed (${code}).`, 'If a proxy or private CA signs this host, point NODE_EXTRA_CA_CERTS at its certificate.', partial, false);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return m(`the connection to ${host} was closed unexpectedly.`, 'Try again.');
  }
  return m(`network error talking to ${host}: ${(err as Error)?.message ?? code}.`, 'Try again.');
}
