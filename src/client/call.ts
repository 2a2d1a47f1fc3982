// A client for the small account endpoints (models, balance, token count), and what their errors mean.
import { explainApiError } from '../api/explain.js';
import type { MoonshotClient } from '../api/client.js';
import { terminalClient } from './terminal-client.js';
import { ApiError, interruptedBy } from '../errors.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import { redactUrl } from '../secrets.js';

/**
 * Runs one call with a fresh client, closes it, and turns API errors into messages about `path`
 * (or, when the call is about a model, about that model).
 */
export async function callApi<T>(baseUrl: string, apiKey: string, io: Io, term: Terminal, path: string, call: (c: MoonshotClient) => Promise<T>, model?: string): Promise<T> {
  const client = terminalClient(baseUrl, apiKey, io, term);
  try {
    return await call(client);
  } catch (err) {
    if (io.signal.aborted) throw interruptedBy(io.signal);
    if (err instanceof ApiError) {
      throw model !== undefined ? explainApiError(err, { model, attempts: client.attempts }) : explainAccountError(err, path, client.baseUrl, client.attempts);
    }
    throw err;
  } finally {
    await client.close();
  }
}

function explainAccountError(err: ApiError, path: string, baseUrl: string, attempts: number): ApiError {
  const said = `${err.status}${err.type ? ` ${err.type}` : ''}: ${err.message}`;
  const own = (message: string, hint: string) =>
    new ApiError({ status: err.status, type: err.type, message, hint: err.requestId ? `${hint} (request id ${err.requestId})` : hint, requestId: err.requestId });
  if (err.status === 404) {
    return own(
      `${redactUrl(baseUrl)} has no ${path} endpoint (${said}).`,
      'Check --base-url / MOONSHOT_BASE_URL: it should be https://api.moonshot.cn/v1 or https://api.moonshot.ai/v1.',
    );
  }
  if (err.status === 403) return own(`this key may not use ${path} (${said}).`, 'Check the account and its tier in the platform console.');
  if (err.status === 401 || err.status === 429 || err.status >= 500) return explainApiError(err, { model: '', attempts });
  return own(`the API refused ${path} (${said}).`, 'Check --base-url / MOONSHOT_BASE_URL.');
}
