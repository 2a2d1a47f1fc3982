// /v1/batches: create from a purpose=batch JSONL file, advance on each GET, answer every line with the
// chat logic, write output and error files; list and cancel.

import type { Caller } from './auth.js';
import { completionBody } from './chunks.js';
import { complete, inspectBody, parseJson } from './complete.js';
import { ApiError, badRequest, hex, notFound, readBody, sendError, sendJson } from './respond.js';
import type { Ctx, State } from './state.js';

type Status = 'validating' | 'in_progress' | 'completed' | 'cancelling' | 'cancelled';

interface BatchLine {
  custom_id: string;
  body: unknown;
}

interface Batch {
  id: string;
  inputFileId: string;
  status: Status;
  createdAt: number;
  inProgressAt: number | null;
  completedAt: number | null;
  cancelledAt: number | null;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  metadata: unknown;
  polls: number;
  caller: Caller;
  lines: BatchLine[];
}

export class BatchStore {
  readonly batches = new Map<string, Batch>();
}

const now = (): number => Math.floor(Date.now() / 1000);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function batchObject(b: Batch): Obj {
  return {
    id: b.id,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    errors: null,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: b.status,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: b.createdAt,
    in_progress_at: b.inProgressAt,
    expires_at: b.createdAt + 86_400,
    completed_at: b.completedAt,
    cancelled_at: b.cancelledAt,
    request_counts: { ...b.counts },
    metadata: b.metadata ?? null,
  };
}

/** Handles every /v1/batches route; false when the path is not one of them. */
export async function handleBatches(c: Ctx, caller: Caller): Promise<boolean> {
  const m = /^\/v1\/batches(?:\/([^/]+)(\/cancel)?)?$/.exec(c.path);
  if (!m) return false;
  const [, id, cancel] = m;
  const method = c.req.method;
  const { batches } = c.state.batches;
  if (!id && method === 'POST') {
    await create(c, caller);
  } else if (!id && method === 'GET') {
    const data = [...batches.values()].map(batchObject);
    sendJson(c.res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
  } else {
    const batch = id ? batches.get(id) : undefined;
    if (!batch) sendError(c.res, notFound(`Not found the batch ${id ?? ''}`));
    else if (method === 'GET' && !cancel) sendJson(c.res, 200, batchObject(advance(c.state, batch)));
    else if (method === 'POST' && cancel) cancelBatch(c, batch);
    else return false;
  }
  return true;
}

function cancelBatch(c: Ctx, b: Batch): void {
  if (b.status === 'completed' || b.status === 'cancelled') {
    sendError(c.res, badRequest(`Invalid request: batch ${b.id} is ${b.status} and cannot be cancelled`));
    return;
  }
  b.status = 'cancelling';
  sendJson(c.res, 200, batchObject(b));
}

async function create(c: Ctx, caller: Caller): Promise<void> {
  const read = await readBody(c.req, 1024 * 1024, (n) => (c.log.bodyBytes = n));
  const body = read.kind === 'ok' ? parseJson(read.buf) : undefined;
  c.log.body = body;
  try {
    if (!isObj(body)) throw badRequest('Invalid request: the body must be a JSON object');
    if (body.endpoint !== '/v1/chat/completions') throw badRequest('Invalid request: endpoint must be /v1/chat/completions');
    if (body.completion_window !== '24h') throw badRequest('Invalid request: completion_window must be 24h');
    const fileId = body.input_file_id;
    const file = typeof fileId === 'string' ? c.state.files.get(fileId) : undefined;
    if (!file) throw badRequest(`Invalid request: input file ${String(fileId)} not found`);
    if (file.purpose !== 'batch') throw badRequest(`Invalid request: input file ${file.id} must have purpose batch, not ${file.purpose}`);
    const lines = parseLines(file.data.toString('utf8'));
    const batch: Batch = {
      id: `batch_${hex(12)}`,
      inputFileId: file.id,
      status: 'validating',
      createdAt: now(),
      inProgressAt: null,
      completedAt: null,
      cancelledAt: null,
      outputFileId: null,
      errorFileId: null,
      counts: { total: lines.length, completed: 0, failed: 0 },
      metadata: body.metadata,
      polls: 0,
      caller,
      lines,
    };
    c.state.batches.batches.set(batch.id, batch);
    sendJson(c.res, 200, batchObject(batch));
  } catch (e) {
    sendError(c.res, e instanceof ApiError ? e : badRequest(String(e)));
  }
}

/** The lines of a batch input: unique custom_ids, POST /v1/chat/completions, one model. */
function parseLines(text: string): BatchLine[] {
  const lines: BatchLine[] = [];
  const ids = new Set<string>();
  const models = new Set<unknown>();
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `line ${i + 1}`;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw badRequest(`Invalid request: ${where} of the input file is not valid JSON`);
    }
    if (!isObj(line) || typeof line.custom_id !== 'string' || line.custom_id === '') {
      throw badRequest(`Invalid request: ${where} needs a custom_id`);
    }
    if (line.method !== 'POST' || line.url !== '/v1/chat/completions' || !isObj(line.body)) {
      throw badRequest(`Invalid request: ${where} must be a POST to /v1/chat/completions with a body`);
    }
    if (ids.has(line.custom_id)) throw badRequest(`Invalid request: duplicate custom_id ${line.custom_id} at ${where}`);
    ids.add(line.custom_id);
    models.add(line.body.model);
    if (models.size > 1) throw badRequest(`Invalid request: a batch must use one model; ${where} uses another`);
    lines.push({ custom_id: line.custom_id, body: line.body });
  });
  if (lines.length === 0) throw badRequest('Invalid request: the input file has no requests');
  return lines;
}

/** One poll: validating → in_progress → completed after batchPollsToComplete polls. */
function advance(state: State, b: Batch): Batch {
  b.polls += 1;
  if (b.status === 'cancelling') {
    b.status = 'cancelled';
    b.cancelledAt = now();
  } else if (b.status === 'validating' || b.status === 'in_progress') {
    b.inProgressAt ??= now();
    b.status = 'in_progress';
    if (b.polls >= (state.opts.batchPollsToComplete ?? 2)) run(state, b);
  }
  return b;
}

function run(state: State, b: Batch): void {
  const out: string[] = [];
  const errors: string[] = [];
  for (const line of b.lines) {
    const base = { id: `batch_req_${hex(12)}`, custom_id: line.custom_id };
    const requestId = hex(16);
    try {
      const done = complete(state, inspectBody(line.body, state), b.caller);
      const body = completionBody(done.env, done.answer, done.plan.thinking);
      out.push(JSON.stringify({ ...base, response: { status_code: 200, request_id: requestId, body }, error: null }));
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'server_error', String(e));
      const body = { error: { message: err.message, type: err.type } };
      errors.push(JSON.stringify({ ...base, response: { status_code: err.status, request_id: requestId, body }, error: { code: err.type, message: err.message } }));
    }
  }
  b.lines = [];
  b.counts = { total: out.length + errors.length, completed: out.length, failed: errors.length };
  if (out.length > 0) b.outputFileId = state.files.add(Buffer.from(`${out.join('\n')}\n`), `${b.id}_output.jsonl`, 'batch_output').id;
  if (errors.length > 0) b.errorFileId = state.files.add(Buffer.from(`${errors.join('\n')}\n`), `${b.id}_error.jsonl`, 'batch_output').id;
  b.status = 'completed';
  b.completedAt = now();
}
