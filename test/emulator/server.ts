// The Moonshot (Kimi) API emulator: a real HTTP(S) server on 127.0.0.1 that answers like
// api.moonshot.ai/v1 (see shared/kimi-api.md and the captures), with a request log and faults.

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { handleBalance, handleEstimate, handleModels } from './account.js';
import { authenticate } from './auth.js';
import { BatchStore, handleBatches } from './batches.js';
import { handleChat } from './chat.js';
import { handleDownload, paceQuery } from './downloads.js';
import { RpmWindow } from './faults.js';
import { FileStore, handleFiles } from './files.js';
import { ReasoningMemory } from './reasoning.js';
import { ApiError, hex, sendError, sendGatewayNotFound } from './respond.js';
import { randomFor, type Ctx, type State } from './state.js';
import type { Emulator, EmulatorOptions, LoggedRequest } from './types.js';

export type * from './types.js';

const CHAT_PATH = '/v1/chat/completions';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const state: State = {
    opts: { ...opts },
    requests: [],
    faults: [],
    inFlight: 0,
    peakInFlight: 0,
    answering: 0,
    rpm: new RpmWindow(),
    random: randomFor(opts),
    prompts: new Set(),
    files: new FileStore(),
    batches: new BatchStore(),
    reasoning: new ReasoningMemory(),
    closing: new AbortController(),
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(state, req, res);
  };
  const server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createHttpServer(onRequest);
  server.requestTimeout = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = opts.tls ? 'https' : 'http';
  return {
    baseUrl: `${scheme}://127.0.0.1:${port}/v1`,
    port,
    requests: state.requests,
    chatRequests: () => state.requests.filter((r) => r.method === 'POST' && r.path === CHAT_PATH),
    get inFlight() {
      return state.inFlight;
    },
    get peakInFlight() {
      return state.peakInFlight;
    },
    queueFault: (f) => void state.faults.push(f),
    downloadUrl: (fixture, mode = 'whole', pace = {}) => `${scheme}://127.0.0.1:${port}/downloads/${mode}/${fixture}${paceQuery(pace)}`,
    set: (partial) => {
      Object.assign(state.opts, partial);
      if ('randomFailures' in partial) state.random = randomFor(state.opts);
    },
    reset: () => {
      state.requests.length = 0;
      state.faults.length = 0;
      state.peakInFlight = state.inFlight;
      state.rpm.clear();
      state.prompts.clear();
      state.random = randomFor(state.opts);
    },
    close: async () => {
      state.closing.abort();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : (v ?? '');
  return out;
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const log: LoggedRequest = {
    method: req.method ?? 'GET',
    path,
    headers: flatHeaders(req),
    bodyBytes: 0,
    images: [],
    startedAt: Date.now(),
  };
  state.requests.push(log);
  res.setHeader('Msh-Request-Id', hex(16));
  res.setHeader('x-trace-id', hex(16));
  const isChat = log.method === 'POST' && path === CHAT_PATH;
  if (isChat) {
    state.inFlight += 1;
    state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
  }
  res.once('close', () => {
    if (isChat) state.inFlight -= 1;
    log.status = res.headersSent ? res.statusCode : undefined;
    log.endedAt = Date.now();
    state.opts.onRequestEnd?.(log);
  });
  const c: Ctx = { req, res, log, state, path };
  try {
    await route(c);
  } catch (e) {
    if (!res.headersSent) sendError(res, new ApiError(500, 'server_error', `emulator: ${String(e)}`));
    else res.destroy();
  }
}

/** Reads and drops a body nobody needs, counting its bytes. */
function discard(c: Ctx): Promise<void> {
  return new Promise((resolve) => {
    c.req.on('data', (chunk: Buffer) => (c.log.bodyBytes += chunk.length));
    c.req.on('end', resolve);
    c.req.on('error', () => resolve());
    c.req.on('close', resolve);
  });
}

const API_PATH = /^\/v1\/(models|users\/me\/balance|tokenizers\/estimate-token-count|files(\/.*)?|batches(\/.*)?)$/;

async function route(c: Ctx): Promise<void> {
  const { req, res, path } = c;
  if (req.method === 'POST' && path === CHAT_PATH) return handleChat(c);
  if (await handleDownload(c)) return;
  const unknown = (): void => sendGatewayNotFound(res, req.method ?? 'GET', path, c.state.opts.notFound ?? 'text');
  if (!API_PATH.test(path)) {
    await discard(c);
    return unknown();
  }
  let caller: ReturnType<typeof authenticate>;
  try {
    caller = authenticate(req.headers, c.state.opts);
  } catch (e) {
    await discard(c);
    return sendError(res, e as ApiError);
  }
  const method = req.method;
  if (method === 'GET' && path === '/v1/models') return handleModels(c, caller);
  if (method === 'GET' && path === '/v1/users/me/balance') return handleBalance(c, caller);
  if (method === 'POST' && path === '/v1/tokenizers/estimate-token-count') return handleEstimate(c, caller);
  if (path.startsWith('/v1/files') && (await handleFiles(c))) return;
  if (path.startsWith('/v1/batches') && (await handleBatches(c, caller))) return;
  await discard(c);
  unknown();
}
