// Downloads an http(s) input (the API refuses image URLs, so they are inlined): a size cap, and a
// limit on the WHOLE download, not only on silences: a server that trickles a byte a second, or
// sends filler forever, is stopped at the limit. Credentials in the URL are never shown.
import { InputError, interruptedBy, NetworkError, UsageError } from '../errors.js';
import { redactUrl } from '../secrets.js';
import { loadUndici, makeDispatcher } from './http.js';
import { closeBody, decodedBody } from './read-body.js';

/** Largest download: the API's whole request body limit. */
const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;
/** Seconds a download may take, start to end, unless KIMI_VISION_DOWNLOAD_TIMEOUT says otherwise. */
const DEFAULT_DOWNLOAD_SECONDS = 30;

/** The download limit in ms: KIMI_VISION_DOWNLOAD_TIMEOUT (seconds, > 0), else 30 s. */
export function downloadTimeoutMs(env: Record<string, string | undefined>): number {
  const raw = env.KIMI_VISION_DOWNLOAD_TIMEOUT?.trim();
  if (!raw) return DEFAULT_DOWNLOAD_SECONDS * 1000;
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds > 0)) {
    throw new UsageError(`KIMI_VISION_DOWNLOAD_TIMEOUT must be a number of seconds above 0 (it is "${raw}").`, `Unset it for the default of ${DEFAULT_DOWNLOAD_SECONDS} s.`);
  }
  return Math.round(seconds * 1000);
}

export async function downloadUrl(url: string, env: Record<string, string | undefined>, signal?: AbortSignal, timeoutMs = downloadTimeoutMs(env)): Promise<Uint8Array> {
  const shown = redactUrl(url);
  const { interceptors, request } = await loadUndici();
  const dispatcher = await makeDispatcher({ connectMs: Math.min(10_000, timeoutMs), headersMs: timeoutMs, idleMs: timeoutMs }, env);
  const deadline = AbortSignal.timeout(timeoutMs);
  const limits = signal ? AbortSignal.any([signal, deadline]) : deadline;
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: dispatcher.compose(interceptors.redirect({ maxRedirections: 5 })),
      signal: limits,
      headers: { 'user-agent': 'kimi-vision', 'accept-encoding': 'identity' },
    });
    if (res.statusCode !== 200) {
      closeBody(res.body);
      throw new InputError(`${shown}: the server answered HTTP ${res.statusCode}.`, 'Check the URL opens in a browser, or download the image and pass the file.');
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_DOWNLOAD_BYTES) {
      closeBody(res.body);
      throw new InputError(`${shown}: ${Math.round(declared / 1048576)} MB is over the 100 MB the API takes.`);
    }
    const parts: Buffer[] = [];
    let size = 0;
    const body = decodedBody(res, new URL(url).host);
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DOWNLOAD_BYTES) {
        closeBody(body);
        throw new InputError(`${shown}: more than 100 MB, the most the API takes.`);
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  } catch (err) {
    if (signal?.aborted) throw interruptedBy(signal);
    if (deadline.aborted) {
      throw new InputError(
        `${shown}: not downloaded within ${formatLimit(timeoutMs)} (the limit for a whole download).`,
        'Download it yourself and pass the file, or raise KIMI_VISION_DOWNLOAD_TIMEOUT (seconds).',
      );
    }
    if (err instanceof InputError) throw err;
    if (err instanceof NetworkError) throw new InputError(`${shown}: ${err.message}`, err.hint);
    const code = (err as { code?: string }).code ?? (err as Error).name;
    throw new InputError(`${shown}: could not be downloaded (${code}).`, 'Check the URL and your network, or download it and pass the file.');
  } finally {
    await dispatcher.destroy();
  }
}

function formatLimit(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
