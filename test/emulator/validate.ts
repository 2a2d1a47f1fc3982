// Validation of a chat request (model, sampling, thinking, formats, tools) into a plan to answer.

import { EFFORTS, findModel, type LiveModel } from './catalog.js';
import type { DataUrlInfo, FileLookup } from './inspect.js';
import { checkMessages, type PartMedia } from './messages.js';
import { checkReasoningHistory, historyReasoningTokens, needsReasoning, type ReasoningMemory } from './reasoning.js';
import { badRequest, modelNotFound, tokenLimit } from './respond.js';
import { textTokens } from './tokens.js';

interface ToolDef {
  name: string;
  parameters: unknown;
}

export interface ChatPlan {
  model: LiveModel;
  stream: boolean;
  includeUsage: boolean;
  thinking: boolean;
  effort: string | undefined;
  maxTokens: number | undefined;
  promptTokens: number;
  format: 'text' | 'json_object' | 'json_schema';
  schema: unknown;
  media: PartMedia[];
  lastUserText: string;
  toolResult: string | undefined;
  partialPrefix: string | undefined;
  /** The tool the model calls, when it calls one. */
  call: ToolDef | undefined;
}

export interface ValidateCtx {
  allowed: (model: string) => boolean;
  seen: Map<string, DataUrlInfo>;
  files: FileLookup;
  /** Reasoning the emulator emitted, which thinking models need back in the history. */
  reasoning: ReasoningMemory;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown): boolean => v !== undefined && v !== null;

/** The model a request names, if it is live and allowed; else the 404 the service answers. */
export function resolveModel(body: Obj, allowed: (model: string) => boolean): LiveModel {
  const model = typeof body.model === 'string' ? findModel(body.model) : undefined;
  if (!model || !allowed(model.id)) throw modelNotFound(body.model);
  return model;
}

/** Validates the body; throws ApiError with the service's status and message. */
export function validateChat(body: unknown, ctx: ValidateCtx): ChatPlan {
  if (!isObj(body)) throw badRequest('Invalid request: the body must be a JSON object');
  const model = resolveModel(body, ctx.allowed);
  const facts = checkMessages(body.messages, model, ctx.seen, ctx.files);
  const { thinking, effort, preserved } = checkThinking(body, model);
  const keeps = needsReasoning(model, preserved);
  if (keeps) checkReasoningHistory(body.messages as unknown[], ctx.reasoning);
  checkSampling(body, model, thinking);
  const maxTokens = checkMaxTokens(body, model);
  const { format, schema } = checkFormat(body, model);
  if (facts.partialPrefix !== undefined && format !== 'text') {
    throw badRequest('Invalid request: partial mode cannot be used together with response_format json_object');
  }
  const { tools, call } = checkTools(body, model, facts.lastRole);
  // Reasoning a model keeps is read as input; K2.6 without Preserved Thinking drops it unread.
  const reasoningTokens = keeps ? historyReasoningTokens(body.messages as unknown[]) : 0;
  const promptTokens = facts.promptTokens + reasoningTokens + (tools.length > 0 ? textTokens(JSON.stringify(body.tools)) : 0);
  if (promptTokens + (maxTokens ?? 0) > model.context) throw tokenLimit(model.context);
  const streamOptions = isObj(body.stream_options) ? body.stream_options : {};
  return {
    model,
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    thinking,
    effort,
    maxTokens,
    promptTokens,
    format,
    schema,
    media: facts.media,
    lastUserText: facts.lastUserText,
    toolResult: facts.toolResult,
    partialPrefix: facts.partialPrefix,
    call: facts.partialPrefix === undefined ? call : undefined,
  };
}

interface ThinkingChoice {
  thinking: boolean;
  effort: string | undefined;
  /** Preserved Thinking: `thinking: {"type":"enabled","keep":"all"}`. */
  preserved: boolean;
}

function checkThinking(body: Obj, model: LiveModel): ThinkingChoice {
  if (given(body.thinking) && given(body.reasoning_effort)) {
    throw badRequest('invalid request: thinking and reasoning_effort cannot be used together');
  }
  let effort: string | undefined;
  if (given(body.reasoning_effort)) {
    if (model.thinking !== 'effort') throw badRequest('invalid reasoning_effort: not supported for this model');
    if (!EFFORTS.includes(body.reasoning_effort as (typeof EFFORTS)[number])) {
      throw badRequest(`invalid reasoning_effort: must be one of ${EFFORTS.join(', ')}`);
    }
    effort = body.reasoning_effort as string;
  }
  if (model.thinking === 'effort') effort ??= 'max';
  if (!given(body.thinking)) return { thinking: true, effort, preserved: false };
  if (model.thinking === 'effort') {
    throw badRequest('invalid thinking: this model always thinks; set reasoning_effort instead');
  }
  const type = isObj(body.thinking) ? body.thinking.type : undefined;
  if (type !== 'enabled' && type !== 'disabled') throw badRequest('invalid thinking: type must be enabled or disabled');
  if (type === 'disabled' && model.thinking !== 'optional') {
    throw badRequest('invalid thinking: only type=enabled is allowed for this model');
  }
  const keep = (body.thinking as Obj).keep;
  if (given(keep)) {
    // Wording unconfirmed: the docs name only keep "all", and only with thinking enabled.
    if (type !== 'enabled') throw badRequest('invalid thinking: keep is only allowed with type=enabled');
    if (keep !== 'all') throw badRequest('invalid thinking: keep must be "all"');
  }
  return { thinking: type === 'enabled', effort, preserved: keep === 'all' };
}

function checkSampling(body: Obj, model: LiveModel, thinking: boolean): void {
  const t = body.temperature;
  if (given(t)) {
    if (typeof t !== 'number' || t < 0 || t > 1) throw badRequest('invalid temperature: must be between 0 and 1');
    const pinned = model.thinking === 'optional' && !thinking ? 0.6 : 1;
    if (t !== pinned) throw badRequest(`invalid temperature: only ${pinned} is allowed for this model`);
  }
  if (given(body.top_p) && (typeof body.top_p !== 'number' || body.top_p < 0 || body.top_p > 1)) {
    throw badRequest('invalid top_p: must be between 0 and 1');
  }
  if (given(body.n)) {
    if (!Number.isInteger(body.n) || (body.n as number) < 1 || (body.n as number) > 5) throw badRequest('invalid n: must be between 1 and 5');
    if (body.n !== 1) throw badRequest('invalid n: only 1 is allowed for this model');
  }
  for (const name of ['presence_penalty', 'frequency_penalty']) {
    const v = body[name];
    if (given(v) && v !== 0) throw badRequest(`invalid ${name}: only 0 is allowed for this model`);
  }
  const stop = body.stop;
  if (given(stop)) {
    const list = Array.isArray(stop) ? stop : [stop];
    if (list.length > 5 || list.some((s) => typeof s !== 'string' || Buffer.byteLength(s) > 32)) {
      throw badRequest('invalid stop: at most 5 strings of at most 32 bytes');
    }
  }
}

/**
 * The output cap. `max_completion_tokens` is the name everywhere and wins over `max_tokens`; the
 * deprecated `max_tokens` still counts on K2 but is ignored on K3 (one provider's word: unconfirmed).
 */
function checkMaxTokens(body: Obj, model: LiveModel): number | undefined {
  let name: 'max_completion_tokens' | 'max_tokens' | undefined;
  if (given(body.max_completion_tokens)) name = 'max_completion_tokens';
  else if (given(body.max_tokens) && model.honoursMaxTokens) name = 'max_tokens';
  if (!name) return undefined;
  const value = body[name];
  if (!Number.isInteger(value) || (value as number) < 1) throw badRequest(`invalid ${name}: must be a positive integer`);
  return value as number;
}

function checkFormat(body: Obj, model: LiveModel): { format: ChatPlan['format']; schema: unknown } {
  const rf = body.response_format;
  if (!given(rf)) return { format: 'text', schema: undefined };
  const type = isObj(rf) ? rf.type : undefined;
  if (type === 'text' || type === 'json_object') return { format: type, schema: undefined };
  if (type !== 'json_schema') throw badRequest('Invalid request: response_format.type must be text, json_object or json_schema');
  if (!model.jsonSchema) throw badRequest(`Invalid request: response_format json_schema is not supported by model ${model.id}`);
  const js = (rf as Obj).json_schema;
  if (!isObj(js) || !isObj(js.schema)) throw badRequest('Invalid request: response_format.json_schema.schema must be an object');
  return { format: 'json_schema', schema: js.schema };
}

function checkTools(body: Obj, model: LiveModel, lastRole: string): { tools: ToolDef[]; call: ToolDef | undefined } {
  if (!given(body.tools)) return { tools: [], call: undefined };
  if (!Array.isArray(body.tools) || body.tools.length > 128) {
    throw badRequest('Invalid request: tools must be an array of at most 128 functions');
  }
  const tools = body.tools.map((t: unknown, i): ToolDef => {
    const fn = isObj(t) ? t.function : undefined;
    if (!isObj(t) || t.type !== 'function' || !isObj(fn) || typeof fn.name !== 'string' || !/^[A-Za-z_][\w-]{0,63}$/.test(fn.name)) {
      throw badRequest(`Invalid request: tools[${i}] must be {"type":"function","function":{"name",...}}`);
    }
    return { name: fn.name, parameters: fn.parameters };
  });
  const choice = body.tool_choice ?? 'auto';
  let chosen: ToolDef | undefined = tools[0];
  if (isObj(choice)) {
    const name = isObj(choice.function) ? choice.function.name : undefined;
    chosen = tools.find((t) => t.name === name);
    if (!chosen) throw badRequest(`Invalid request: tool_choice names an unknown function ${String(name)}`);
  } else if (choice !== 'auto' && choice !== 'none' && choice !== 'required') {
    throw badRequest('Invalid request: tool_choice must be none, auto, required or a function');
  } else if (choice === 'required' && !model.toolChoiceRequired) {
    // Only kimi-k3 takes "required" (update of 2026-12-01); the wording of the refusal is a guess.
    throw badRequest(`Invalid request: tool_choice "required" is not supported by model ${model.id}; use "auto" or name a function`);
  }
  const call = choice !== 'none' && lastRole === 'user' ? chosen : undefined;
  return { tools, call };
}
