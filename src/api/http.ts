// The undici dispatcher (timeouts, proxies) and the mapping of transport failures to typed errors.
import type { Dispatcher } from 'undici';
import { NetworkError } from '../errors.js';
import { redactUrl } from '../secrets.js';
import { proxyConfigured, type ProxyChoice } from './proxy.js';
import { proxyOf, proxyRouter } from './proxy-router.js';

export interface Timeouts {
  /** TCP + TLS connect. */
  connectMs: number;
  /** From the end of the request to the response headers. */
  headersMs: number;
  /** Longest silence between two reads of the response body. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, headersMs: 120_000, idleMs: 120_000 };

/** Response headers larger than this are refused by undici's parser: Node's default, set here so the message can say it. */
const MAX_HEADER_BYTES = 16 * 1024;

/** undici, loaded on first use: it costs more start-up time than the rest of the CLI together.
 *  (Bundled, a lazily loaded CommonJS module arrives as its `default` export.) */
export function loadUndici(): Promise<typeof import('undici')> {
  // Kept: in the bundle each import() builds a fresh namespace object (a getter per export), and
  // --each calls this per request: megabytes of garbage a run, promoted before it died.
  undici ??= import('undici').then((m) => ('Agent' in m ? m : (m as unknown as { default: typeof import('undici') }).default));
  return undici;
}
let undici: Promise<typeof import('undici')> | undefined;

/**
 * A plain Agent, or, when a proxy variable is set, a dispatcher that chooses per origin (proxy.ts:
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY as users write them) between a direct Agent and a ProxyAgent,
 * and marks the errors of proxied requests with the proxy, so that networkError can name it.
 */
export async function makeDispatcher(t: Timeouts, env: Record<string, string | undefined>): Promise<Dispatcher> {
  const undici = await loadUndici();
  const opts = { connect: { timeout: t.connectMs }, headersTimeout: t.headersMs, bodyTimeout: t.idleMs, maxHeaderSize: MAX_HEADER_BYTES };
  if (!proxyConfigured(env)) return new undici.Agent(opts);
  return proxyRouter(undici, opts, env);
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

/** A transport failure as a NetworkError saying what happened and what to do. A request that went
 *  through a proxy says so: a proxy that is down or refuses is reported as the proxy, with the
 *  variable that chose it, not as the API host. */
export function networkError(err: unknown, host: string, timeouts: Timeouts, partial: boolean): NetworkError {
  if (err instanceof NetworkError) return err;
  const code = errorCode(err) ?? (err as Error)?.name ?? 'unknown';
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  const incomplete = partial ? ' The answer above is incomplete.' : '';
  const m = (text: string, hint?: string, retryable = true) => new NetworkError(code, text + incomplete, hint, partial, retryable);
  const via = proxyOf(err);
  if (via) {
    const failed = proxyFailure(code, err as Error, via, host, m);
    if (failed) return failed;
  }
  // Through a proxy, the other failures are on the way to the host: both are named.
  const where = via ? `${host} through the proxy ${redactUrl(via.url)} (from ${via.variable})` : host;
  if (code === 'ECONNREFUSED') return m(`connection refused by ${host}.`, 'Check --base-url / MOONSHOT_BASE_URL and your network.');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return m(`cannot resolve ${host} (DNS).`, 'Check the host name and your network or proxy.');
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return m(`no connection to ${where} within ${s(timeouts.connectMs)}.`, 'Check your network or proxy; raise --timeout if it is slow.');
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return m(`${where} sent no answer within ${s(timeouts.headersMs)}.`, 'Try again later, or raise --timeout.');
  if (code === 'UND_ERR_BODY_TIMEOUT') return m(`the answer from ${where} stalled for ${s(timeouts.idleMs)}.`, 'Try again; raise --timeout for slow models.');
  if (TLS_CODES.test(code)) {
    return m(`TLS handshake with ${where} failed (${code}).`, 'If a proxy or private CA signs this host, point NODE_EXTRA_CA_CERTS at its certificate.', false);
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') {
    // Not retried: the same server sends the same headers, and a chat request would be paid again.
    return m(
      `${where} sent headers larger than ${MAX_HEADER_BYTES / 1024} KiB, more than kimi-vision reads.`,
      'The API sends small headers: a proxy or gateway in between may add these; check --base-url and HTTPS_PROXY.',
      false,
    );
  }
  if (code.startsWith('Z_')) {
    return m(`the answer from ${where} could not be decompressed (${code}).`, 'Try again; if it keeps happening, a proxy or gateway in between may be damaging answers.');
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return m(`the connection to ${where} was closed unexpectedly.`, 'Try again.');
  }
  return m(`network error talking to ${where}: ${(err as Error)?.message ?? code}.`, 'Try again.');
}

type Make = (text: string, hint?: string, retryable?: boolean) => NetworkError;

/** The failures that are the proxy's own: it cannot be reached, or it refused to open the tunnel. */
function proxyFailure(code: string, err: Error, via: ProxyChoice, host: string, m: Make): NetworkError | undefined {
  const proxy = `the proxy ${redactUrl(via.url)} (from ${via.variable})`;
  const name = host.replace(/:\d+$/, '');
  const bypass = `To reach ${name} without it, add ${name} to NO_PROXY.`;
  if (code === 'ECONNREFUSED') return m(`connection refused by ${proxy}.`, `Check that the proxy runs and that ${via.variable} names it. ${bypass}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return m(`cannot resolve the host of ${proxy} (DNS).`, `Check ${via.variable}. ${bypass}`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return m(`${proxy} cannot be reached (${code}).`, `Check ${via.variable} and your network. ${bypass}`);
  if (code === 'UND_ERR_PRX_TLS') return m(`TLS handshake with ${proxy} failed.`, 'If a private CA signs the proxy, point NODE_EXTRA_CA_CERTS at its certificate.', false);
  const status = /Proxy response \((\d{3})\)/.exec(err?.message ?? '')?.[1];
  if (status === '407') {
    return m(`${proxy} asks for credentials (407 Proxy Authentication Required).`, `Put them in the proxy URL: ${via.variable}=http://user:password@host:port`, false);
  }
  if (status) {
    const retryable = status.startsWith('5');
    return m(
      `${proxy} did not open a connection to ${host} (it answered ${status}).`,
      retryable ? `Try again; if it persists, ask the proxy's admin, or add ${name} to NO_PROXY.` : `The proxy does not allow ${name}: ask its admin, or add ${name} to NO_PROXY.`,
      retryable,
    );
  }
  return undefined;
}
