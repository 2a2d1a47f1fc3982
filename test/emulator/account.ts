// The small JSON endpoints: GET /v1/models, GET /v1/users/me/balance,
// POST /v1/tokenizers/estimate-token-count.

import { balanceBody, modelsFor, type Caller } from './auth.js';
import { modelListItem } from './catalog.js';
import { inspectBody, parseJson } from './complete.js';
import { checkMessages } from './messages.js';
import { historyReasoningTokens, needsReasoningLoose } from './reasoning.js';
import { ApiError, badRequest, BODY_LIMIT, readBody, sendError, sendJson } from './respond.js';
import type { Ctx } from './state.js';
import { textTokens } from './tokens.js';
import { resolveModel } from './validate.js';

export function handleModels(c: Ctx, caller: Caller): void {
  const fields = c.state.opts.modelFields ?? 'extended';
  sendJson(c.res, 200, { object: 'list', data: modelsFor(caller).map((m) => modelListItem(m, fields)) });
}

export function handleBalance(c: Ctx, caller: Caller): void {
  sendJson(c.res, 200, balanceBody(caller.balance));
}

/** Counts tokens exactly as chat does (same model and image validation). */
export async function handleEstimate(c: Ctx, caller: Caller): Promise<void> {
  const read = await readBody(c.req, BODY_LIMIT, (n) => (c.log.bodyBytes = n));
  if (read.kind === 'too-large') {
    sendError(c.res, new ApiError(413, 'invalid_request_error', 'Invalid request: the request body exceeds the limit of 100 MB'));
    return;
  }
  const parsed = parseJson(read.buf);
  try {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw badRequest('Invalid request: the body must be a JSON object');
    }
    const input = inspectBody(parsed, c.state);
    c.log.body = input.logged;
    c.log.images = input.images;
    const body = parsed as Record<string, unknown>;
    const model = resolveModel(body, caller.allowed);
    const facts = checkMessages(body.messages, model, input.seen, c.state.files.lookup);
    const tools = Array.isArray(body.tools) && body.tools.length > 0 ? textTokens(JSON.stringify(body.tools)) : 0;
    // Counting is not answering: a history without reasoning is counted, not refused.
    const reasoning = needsReasoningLoose(model, body) ? historyReasoningTokens(body.messages as unknown[]) : 0;
    sendJson(c.res, 200, { data: { total_tokens: facts.promptTokens + tools + reasoning } });
  } catch (e) {
    sendError(c.res, e instanceof ApiError ? e : badRequest(String(e)));
  }
}
