// Downloads an http(s) input (the API refuses image URLs, so they are inlined): size cap, timeout.
import { InputError } from '../errors.js';
import { loadUndici, makeDispatcher } from './http.js';

/** Largest download: the API's whole request body limit. */
export const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;

export async function downloadUrl(url: string, env: Record<string, string | undefined>, signal?: AbortSignal, timeoutMs = 30_000): Promise<Uint8Array> {
  const { interceptors, request } = await loadUndici();
  const dispatcher = await makeDispatcher({ connectMs: 10_000, headersMs: timeoutMs, idleMs: timeoutMs }, env);
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: dispatcher.compose(interceptors.redirect({ maxRedirections: 5 })),
      signal: signal ?? null,
      headers: { 'user-agent': 'kimi-vision' },
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new InputError(`${url}: the server answered HTTP ${res.statusCode}.`, 'Check the URL opens in a browser, or download the image and pass the file.');
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_DOWNLOAD_BYTES) {
      await res.body.dump();
      throw new InputError(`${url}: ${Math.round(declared / 1048576)} MB is over the 100 MB the API takes.`);
    }
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DOWNLOAD_BYTES) {
        res.body.destroy();
        throw new InputError(`${url}: more than 100 MB, the most the API takes.`);
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as { code?: string }).code ?? (err as Error).name;
    throw new InputError(`${url}: could not be downloaded (${code}).`, 'Check the URL and your network, or download it and pass the file.');
  } finally {
    await dispatcher.destroy();
  }
}
