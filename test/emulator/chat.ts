// POST /v1/chat/completions: body limits, auth, rate limits, queued faults, then the answer as an
// event stream or one JSON body.

import { authenticate, type Caller } from './auth.js';
import { completionBody, streamPayloads } from './chunks.js';
import { complete, inspectBody, parseJson, type Completion, type Inspected } from './complete.js';
import { concurrencyError, quotaError, rpmError, withRetryAfter } from './faults.js';
import { endlessErrorBody, endlessStream, redirect } from './hostile.js';
import { replayCapture } from './replay.js';
import { ApiError, badRequest, BODY_LIMIT, readBody, sendError, sleep } from './respond.js';
import { SseWriter, type SseStyle } from './sse.js';
import { untilGone, type Ctx, type State } from './state.js';
import type { Fault, StreamFault } from './types.js';
import { sendErrorWire, sendJsonWire, wireFor, type Wire } from './wire.js';

const HTML = '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in to continue</h1></body></html>\n';

function styleOf(state: State, fault?: Fault): SseStyle {
  const o = state.opts;
  const odd = fault?.kind === 'sse-odd-lines';
  return {
    lineEnding: (odd ? fault.lineEnding : undefined) ?? o.lineEnding ?? '\n',
    comments: o.comments ?? false,
    splitWrites: o.splitWrites ?? true,
    chunkDelayMs: o.chunkDelayMs ?? 0,
    onEvent: o.onSseEvent,
    oddLines: odd,
    wire: wireFor(fault),
  };
}

/** Faults that answer in place of the service (the rest act inside or around its answer). */
const REPLACING = new Set<Fault['kind']>(['error', 'reset', 'stall-headers', 'non-sse', 'replay', 'json-error-200', 'endless-stream', 'endless-error-body']);

function isStreamFault(f: Fault | undefined): f is StreamFault {
  return f !== undefined && ['reset-mid-stream', 'stall-mid-stream', 'malformed-json', 'error-event'].includes(f.kind);
}

/** Rate limits: RPM over a sliding minute, then concurrent answers. Counts the request as answering. */
function admit(c: Ctx, caller: Caller): void {
  const { state, res } = c;
  const { rpmLimit, maxConcurrency } = state.opts;
  if (rpmLimit !== undefined) {
    const wait = state.rpm.take(rpmLimit, Date.now());
    if (wait > 0) throw rpmError(caller, rpmLimit, wait);
  }
  if (maxConcurrency !== undefined && state.answering >= maxConcurrency) throw concurrencyError(caller, maxConcurrency);
  state.answering += 1;
  res.once('close', () => (state.answering -= 1));
}

/** Reads and inspects the body: 'too-large' (413 sent), undefined when not JSON. The raw bytes die here. */
async function readChat(c: Ctx): Promise<Inspected | undefined | 'too-large'> {
  const read = await readBody(c.req, BODY_LIMIT, (n) => (c.log.bodyBytes = n));
  if (read.kind === 'too-large') {
    const limit = `${BODY_LIMIT} bytes (100 MB)`;
    sendError(c.res, new ApiError(413, 'invalid_request_error', `Invalid request: the request body exceeds the limit of ${limit}`));
    return 'too-large';
  }
  const parsed = parseJson(read.buf);
  if (parsed === undefined) return undefined;
  const input = inspectBody(parsed, c.state);
  c.log.body = input.logged;
  c.log.images = input.images;
  return input;
}

export async function handleChat(c: Ctx): Promise<void> {
  const { state, req, res } = c;
  const signal = state.closing.signal;
  const fault = state.faults.shift() ?? state.opts.alwaysFault;
  if (fault?.kind === 'redirect') return redirect(c, fault.status, fault.location);
  const wire = wireFor(fault);
  let input = await readChat(c);
  if (input === 'too-large') return;
  const model = modelOf(input?.body);
  const delayMs = (state.opts.firstByteDelayMs ?? 0) + (fault?.kind === 'delay' ? fault.ms : 0);
  try {
    const caller = authenticate(req.headers, state.opts);
    admit(c, caller);
    if (fault && (await applyFault(c, fault, delayMs, model, () => (input = undefined)))) return;
    if (caller.balance <= 0) throw quotaError(caller);
    const rf = state.opts.randomFailures;
    const failure = rf && state.random?.draw(rf.retryable, rf.fatal);
    if (failure) throw failure;
    if (!input) throw badRequest('Invalid request: the body is not valid JSON');
    const done = complete(state, input, caller);
    input = undefined; // let a 100 MB body go before the answer streams
    await sleep(delayMs, signal);
    const streamFault = isStreamFault(fault) ? fault : undefined;
    if (done.plan.stream) await streamAnswer(c, done, streamFault, fault);
    else await sendAnswer(c, done, streamFault, wire);
  } catch (e) {
    input = undefined;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const err = e instanceof ApiError ? e : new ApiError(500, 'server_error', `emulator: ${String(e)}`);
    await sleep(delayMs, signal);
    sendErrorWire(res, state.opts.retryAfterHeader ? withRetryAfter(err, state.opts.retryAfterDate === true) : err, wire);
  }
}

function modelOf(body: unknown): string {
  const model = body && typeof body === 'object' ? (body as Record<string, unknown>).model : undefined;
  return typeof model === 'string' ? model : 'kimi-k2.6';
}

/** Faults that replace the answer; true when the response is dealt with. */
async function applyFault(c: Ctx, fault: Fault, delayMs: number, model: string, release: () => void): Promise<boolean> {
  if (!REPLACING.has(fault.kind)) return false;
  release();
  // Errors wait in handleChat's catch; a reset or a stall has no first byte to delay.
  if (fault.kind !== 'error' && fault.kind !== 'reset' && fault.kind !== 'stall-headers') await sleep(delayMs, c.state.closing.signal);
  switch (fault.kind) {
    case 'error':
      throw new ApiError(fault.status, fault.type, fault.message, fault.headers);
    case 'reset':
      c.req.socket.destroy();
      return true;
    case 'stall-headers':
      await untilGone(c);
      return true;
    case 'non-sse':
      c.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(HTML)) });
      c.res.end(HTML);
      return true;
    case 'replay':
      await replayCapture(c, fault.file, styleOf(c.state));
      return true;
    case 'json-error-200':
      // Some gateways answer errors with 200; JSON even when the client asked for a stream.
      sendJsonWire(c.res, 200, { error: { message: fault.message, type: fault.type } }, {}, undefined);
      return true;
    case 'endless-stream':
      await endlessStream(c, model, fault.deltas ?? 'content');
      return true;
    case 'endless-error-body':
      await endlessErrorBody(c, fault.status);
      return true;
    default:
      return false;
  }
}

async function streamAnswer(c: Ctx, done: Completion, fault: StreamFault | undefined, any: Fault | undefined): Promise<void> {
  const { plan, answer, env } = done;
  const configured = c.state.opts.usagePlacement ?? 'choice';
  const placement = configured === 'choice' && plan.includeUsage ? 'both' : configured;
  const payloads = [...streamPayloads(env, answer, placement, plan.thinking), '[DONE]'];
  const sse = new SseWriter(c.res, styleOf(c.state, any), c.state.closing.signal);
  sse.start();
  for (let i = 0; i < payloads.length; i += 1) {
    // A fault "after N events" acts before the N+1th data event, at the latest before [DONE].
    if (fault && i === Math.min(fault.afterEvents, payloads.length - 1)) {
      if (!(await streamFault(c, sse, fault))) return;
    }
    if (!(await sse.data(payloads[i] ?? ''))) return;
  }
  sse.end();
}

/** Applies a mid-stream fault; true when the stream carries on. */
async function streamFault(c: Ctx, sse: SseWriter, fault: StreamFault): Promise<boolean> {
  switch (fault.kind) {
    case 'reset-mid-stream':
      await sse.flush();
      c.req.socket.destroy();
      return false;
    case 'stall-mid-stream':
      await untilGone(c);
      return false;
    case 'malformed-json':
      return sse.data('{"id":');
    case 'error-event':
      await sse.data(JSON.stringify({ error: { type: fault.type, message: fault.message } }));
      sse.end();
      return false;
  }
}

/** The non-streaming answer; mid-stream faults cut or replace the JSON body. */
async function sendAnswer(c: Ctx, done: Completion, fault: StreamFault | undefined, wire: Wire | undefined): Promise<void> {
  const { res } = c;
  const body = completionBody(done.env, done.answer, done.plan.thinking);
  if (!fault) {
    sendJsonWire(res, 200, body, {}, wire);
    return;
  }
  if (fault.kind === 'error-event') {
    sendJsonWire(res, 200, { error: { type: fault.type, message: fault.message } }, {}, undefined);
    return;
  }
  const text = Buffer.from(JSON.stringify(body));
  const half = text.subarray(0, Math.floor(text.length / 2));
  const length = fault.kind === 'malformed-json' ? half.length : text.length;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(length) });
  if (fault.kind === 'malformed-json') {
    res.end(half);
    return;
  }
  await new Promise<void>((resolve) => res.write(half, () => resolve()));
  if (fault.kind === 'reset-mid-stream') c.req.socket.destroy();
  else await untilGone(c);
}
