// The Moonshot client: one POST per attempt, SSE or JSON answers, typed errors, and the retry loop.
import type { Dispatcher, FormData } from 'undici';
import { ApiError, KvError, NetworkError } from '../errors.js';
import { isPathNotFound, redirectError, wrongBaseUrl } from './base-url.js';
import { bodyStream, type Body } from './body-stream.js';
import { applyChunk, emptyCompletion, type Completion, type Delta } from './completion.js';
import { apiErrorFrom } from './error-body.js';
import { header, mediaType, requestIdOf } from './headers.js';
import { DEFAULT_TIMEOUTS, loadUndici, makeDispatcher, networkError, type Timeouts } from './http.js';
import { answerBytesLimit, endlessAnswer, outputChars, outputLimit, OutputMeter, type OutputLimit } from './output-limit.js';
import { chatCompletion, readJson } from './json-answer.js';
import { closeBody, decodedBody, drainBody, FILE_BODY_BYTES, JSON_BODY_BYTES, readAtMost } from './read-body.js';
import { DEFAULT_MAX_ATTEMPTS, nextStep } from './retry.js';
import { RequestSignals } from './request-signals.js';
import { interrupted, sleep } from './sleep.js';
import { parseSse } from './sse.js';

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  env: Record<string, string | undefined>;
  timeouts?: Timeouts;
  maxAttempts?: number;
  signal?: AbortSignal | undefined;
  /** One line of debug output (request ids, timings); never given secrets. */
  debug?: ((line: string) => void) | undefined;
  onRetry?: ((info: { attempt: number; delayMs: number; error: KvError }) => void) | undefined;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic ms, for timings (default performance.now). */
  monotonicMs?: () => number;
  /** Wall-clock ms since the epoch, for Retry-After dates (default Date.now). */
  epochMs?: () => number;
}

/**
 * A request body as the transport sees it: its exact size (sent as Content-Length) and a fresh
 * stream of its bytes for each attempt (strings are written as UTF-8). What the bytes are (JSON
 * around images read from disk) is request/body.ts's business.
 */
export type { Body };

export interface ChatHandlers {
  onDelta?: (delta: Delta) => void;
  /** Called when the last byte of the request body has been handed to the socket. */
  onSent?: () => void;
  /** Called once, when the response headers of the attempt that answers have arrived. */
  onResponse?: () => void;
  /** The caller buffers the answer (shows nothing while it streams): a cut stream is retried from scratch. */
  buffered?: boolean;
  /** The output the request allows (outputLimit(model, --max-tokens)); an answer past it is stopped. */
  limit?: OutputLimit;
}

export class MoonshotClient {
  readonly baseUrl: string;
  readonly host: string;
  /** Made on the first request, so a client that never sends loads no network code. */
  private dispatcher: Promise<Dispatcher> | undefined;
  private readonly timeouts: Timeouts;
  /** Attempts the last call made (for messages like "after 3 attempts"). */
  attempts = 0;
  /** The signals of the requests under way, aborted together when the caller's signal aborts. */
  private readonly signals: RequestSignals;

  constructor(private readonly o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.host = hostOf(this.baseUrl);
    this.timeouts = o.timeouts ?? DEFAULT_TIMEOUTS;
    this.signals = new RequestSignals(o.signal);
  }

  async close(): Promise<void> {
    if (this.dispatcher) await (await this.dispatcher).destroy();
  }

  /** POST /chat/completions with a streamed body; retried while nothing has been shown. */
  async chat(body: Body, stream: boolean, handlers: ChatHandlers = {}): Promise<Completion> {
    let shown = false;
    const onDelta = (d: Delta) => {
      if (d.text && !handlers.buffered) shown = true;
      handlers.onDelta?.(d);
    };
    return this.withRetries(
      () => this.chatOnce(body, stream, { ...handlers, onDelta }, () => shown),
      () => shown,
    );
  }

  /** GET a JSON document (models, balance, a batch). */
  async getJson(path: string): Promise<unknown> {
    return this.withRetries(
      async () => {
        const res = await this.send('GET', path);
        return readJson(res, this.host, JSON_BODY_BYTES, 'a JSON document');
      },
      () => false,
    );
  }

  /** GET a file's raw content as text (a batch's output file: GET /files/{id}/content). */
  async getText(path: string): Promise<string> {
    return this.withRetries(
      async () => {
        const res = await this.send('GET', path);
        try {
          return (await readAtMost(decodedBody(res, this.host), FILE_BODY_BYTES, this.host, 'a file')).toString('utf8');
        } finally {
          closeBody(res.body);
        }
      },
      () => false,
    );
  }

  /** POST a small JSON document (estimate-token-count, batches). */
  async postJson(path: string, body: unknown): Promise<unknown> {
    return this.withRetries(
      async () => {
        const res = await this.send('POST', path, JSON.stringify(body), 'application/json');
        return readJson(res, this.host, JSON_BODY_BYTES, 'a JSON document');
      },
      () => false,
    );
  }

  /** POST a streamed body (images and all) and read a JSON answer: the token counter. */
  async postBody(path: string, body: Body): Promise<unknown> {
    return this.withRetries(
      async () => {
        const res = await this.send('POST', path, bodyStream(body), 'application/json', body.bytes);
        return readJson(res, this.host, JSON_BODY_BYTES, 'a JSON document');
      },
      () => false,
    );
  }

  /** POST /files (multipart): uploads bytes once; returns the file id for `ms://<id>`. */
  async uploadFile(data: Blob, filename: string, purpose: string): Promise<string> {
    return this.withRetries(
      async () => {
        const form = new (await loadUndici()).FormData();
        form.set('purpose', purpose);
        form.set('file', data, filename);
        const res = await this.send('POST', '/files', form);
        const body = (await readJson(res, this.host, JSON_BODY_BYTES, 'a JSON document')) as { id?: unknown };
        if (typeof body.id !== 'string') throw new NetworkError('bad_response', `${this.host} answered the upload without a file id.`);
        return body.id;
      },
      () => false,
    );
  }

  private async withRetries<T>(once: () => Promise<T>, shown: () => boolean): Promise<T> {
    const max = this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      this.attempts = attempt;
      try {
        return await once();
      } catch (err) {
        // Nothing is retried once the run is stopped or answer text was shown.
        const step = this.o.signal?.aborted || shown() ? { kind: 'fail' as const, error: err } : nextStep(err, attempt, max);
        if (step.kind === 'fail') throw step.error;
        this.o.onRetry?.({ attempt, delayMs: step.delayMs, error: err as KvError });
        await (this.o.sleep ?? sleep)(step.delayMs, this.o.signal);
      }
    }
  }

  private async send(method: 'GET' | 'POST', path: string, body?: string | AsyncIterable<Uint8Array | string> | FormData, type?: string, length?: number) {
    const elapsed = this.o.monotonicMs ?? (() => performance.now());
    const started = elapsed();
    // identity: a compressed answer would need decoding (read-body.ts does it, for servers that
    // compress anyway), and a stream must reach the screen as it comes, not in zlib's blocks.
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.o.apiKey}`,
      accept: 'application/json, text/event-stream',
      'accept-encoding': 'identity',
    };
    if (type) headers['content-type'] = type;
    if (length !== undefined) headers['content-length'] = String(length);
    const own = this.signals.open();
    try {
      const { request } = await loadUndici();
      this.dispatcher ??= makeDispatcher(this.timeouts, this.o.env);
      const res = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        // (undici takes an async iterable body, though its types do not say so.)
        body: (body ?? null) as string | FormData | null,
        dispatcher: await this.dispatcher,
        signal: own?.signal ?? null,
      });
      if (own) res.body.once('close', () => this.signals.release(own));
      const id = requestIdOf(res.headers);
      this.o.debug?.(`${method} ${path} -> ${res.statusCode} in ${Math.round(elapsed() - started)} ms${id ? ` (request id ${id})` : ''}`);
      if (res.statusCode >= 300 && res.statusCode < 400) {
        closeBody(res.body);
        throw redirectError(this.baseUrl, method, path, res.statusCode, header(res.headers, 'location'));
      }
      if (res.statusCode >= 400) {
        const err = await apiErrorFrom(res, this.host, (this.o.epochMs ?? Date.now)());
        throw isPathNotFound(err, path) ? wrongBaseUrl(this.baseUrl, method, path) : err;
      }
      return res;
    } catch (err) {
      if (own) this.signals.release(own);
      if (err instanceof KvError) throw err;
      if (this.o.signal?.aborted) throw interrupted();
      throw networkError(err, this.host, this.timeouts, false);
    }
  }

  private async chatOnce(body: Body, stream: boolean, h: ChatHandlers, shown: () => boolean): Promise<Completion> {
    const res = await this.send('POST', '/chat/completions', bodyStream(body, h.onSent), 'application/json', body.bytes);
    h.onResponse?.();
    const limit = h.limit ?? outputLimit();
    const c = emptyCompletion();
    try {
      if (mediaType(res.headers) !== 'text/event-stream') {
        const whole = chatCompletion(await readJson(res, this.host, answerBytesLimit(limit), 'an answer'), this.host);
        h.onDelta?.({ text: whole.text, reasoning: whole.reasoning });
        return whole;
      }
      if (!stream) this.o.debug?.('the API streamed an answer that was asked for whole');
      const decoded = decodedBody(res, this.host);
      const events = parseSse(decoded);
      const meter = new OutputMeter(limit);
      let end = await events.next();
      for (; !end.done; end = await events.next()) {
        h.onDelta?.(applyChunk(c, end.value));
        const past = meter.over(outputChars(c));
        if (past !== undefined) throw endlessAnswer(this.host, limit, past, shown());
      }
      if (!end.value.done && c.finishReason === undefined) {
        throw new NetworkError('incomplete', `the answer from ${this.host} ended early.${shown() ? ' The answer above is incomplete.' : ''}`, 'Try again.', shown());
      }
      drainBody(decoded);
      return c;
    } catch (err) {
      closeBody(res.body);
      if (err instanceof ApiError || err instanceof NetworkError) {
        if (shown() && err instanceof NetworkError && !err.partial) {
          throw new NetworkError(err.code, `${err.message} The answer above is incomplete.`, err.hint, true, false);
        }
        throw err;
      }
      if (this.o.signal?.aborted) throw interrupted();
      throw networkError(err, this.host, this.timeouts, shown());
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
