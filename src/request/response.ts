// JSON Mode, JSON Schema, Partial Mode and tools: the request fields they add, checked locally first.
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findModel } from '../models.js';
import type { Message } from './messages.js';

export interface ResponseFlags {
  jsonObject?: boolean;
  schema?: string;
  prefill?: string;
  prefillName?: string;
  tools?: string;
  toolChoice?: string;
}

export interface ResponsePlan {
  /** Request fields: response_format, tools, tool_choice. */
  extra: Record<string, unknown>;
  /** The JSON Schema the answer must satisfy, if any. */
  schema: Record<string, unknown> | undefined;
  /** Appended to the prompt when the model has no json_schema support. */
  promptSuffix: string;
  /** The assistant prefix of Partial Mode, ending the messages. */
  prefill: Message | undefined;
  /** True when the answer is JSON (printed whole, not streamed). */
  json: boolean;
}

export async function planResponse(f: ResponseFlags, model: string, cwd: string, inherited: Record<string, unknown> = {}): Promise<ResponsePlan> {
  if (f.prefill !== undefined && (f.jsonObject || f.schema !== undefined)) {
    throw new UsageError('--prefill cannot be combined with --json-object or --schema.', 'The API does not take Partial Mode together with JSON Mode; drop one of them.');
  }
  if (f.prefillName !== undefined && f.prefill === undefined) throw new UsageError('--prefill-name needs --prefill.');
  const extra: Record<string, unknown> = { ...inherited };
  let schema: Record<string, unknown> | undefined;
  let promptSuffix = '';
  if (f.jsonObject) extra.response_format = { type: 'json_object' };
  if (f.schema !== undefined) {
    const given = await loadJsonArg(f.schema, '--schema', cwd);
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new UsageError(
        `--schema ${f.schema.trim().startsWith('{') ? '(inline)' : f.schema}: a JSON Schema is a JSON object.`,
        'e.g. --schema \'{"type":"object","properties":{"alt":{"type":"string"}}}\'',
      );
    }
    schema = given as Record<string, unknown>;
    if (findModel(model)?.jsonSchema) {
      extra.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } };
    } else {
      extra.response_format = { type: 'json_object' };
      promptSuffix = `\n\nAnswer with only a JSON object that satisfies this JSON Schema:\n${JSON.stringify(schema)}`;
    }
  }
  if (f.tools !== undefined) extra.tools = normaliseTools(await loadJsonArg(f.tools, '--tools', cwd), f.tools);
  if (f.toolChoice !== undefined) {
    const tools = extra.tools as { function: { name: string } }[] | undefined;
    if (!tools) throw new UsageError('--tool-choice needs --tools.');
    if (f.toolChoice === 'auto' || f.toolChoice === 'none' || f.toolChoice === 'required') extra.tool_choice = f.toolChoice;
    else if (tools.some((t) => t.function.name === f.toolChoice)) extra.tool_choice = { type: 'function', function: { name: f.toolChoice } };
    else throw new UsageError(`--tool-choice ${f.toolChoice}: no such tool in --tools.`, `Use auto, none, required, or one of: ${tools.map((t) => t.function.name).join(', ')}.`);
  }
  checkToolChoice(extra.tool_choice, model);
  const prefill: Message | undefined =
    f.prefill === undefined ? undefined : { role: 'assistant', content: f.prefill, partial: true, ...(f.prefillName ? { name: f.prefillName } : {}) };
  const format = (extra.response_format as { type?: string } | undefined)?.type;
  return { extra, schema, promptSuffix, prefill, json: format === 'json_object' || format === 'json_schema' };
}

/** `tool_choice: "required"` only where the model table says the model takes it (unknown models: the API decides). */
function checkToolChoice(choice: unknown, modelId: string): void {
  const model = findModel(modelId);
  if (choice !== 'required' || !model || model.toolChoiceRequired) return;
  throw new UsageError(
    `${modelId} does not accept --tool-choice required (the API answers 400).`,
    'Use --tool-choice auto or the name of a tool, or pick kimi-k3 (-m kimi-k3), which takes required.',
  );
}

/** Inline JSON (starting with { or [) or a file holding it. */
async function loadJsonArg(arg: string, flag: string, cwd: string): Promise<unknown> {
  const trimmed = arg.trim();
  const inline = trimmed.startsWith('{') || trimmed.startsWith('[');
  let text = trimmed;
  if (!inline) {
    try {
      text = await fsPromises().readFile(path.resolve(cwd, arg), 'utf8');
    } catch {
      throw new UsageError(`${flag} ${arg}: no such file (and not inline JSON).`, `Give a JSON file or inline JSON starting with { or [.`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag} ${inline ? '(inline)' : arg}: not valid JSON (${(err as Error).message}).`);
  }
}

/** OpenAI-style definitions; bare `{name, parameters}` objects are wrapped as functions. */
function normaliseTools(value: unknown, arg: string): { type: 'function'; function: { name: string } & Record<string, unknown> }[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > 128) throw new UsageError(`--tools ${arg}: give 1 to 128 function definitions, not ${list.length}.`);
  return list.map((t: unknown, i: number) => {
    const o = (t ?? {}) as { type?: unknown; function?: unknown; name?: unknown };
    const fn = (o.type === 'function' && o.function ? o.function : o) as { name?: unknown } & Record<string, unknown>;
    const name = fn.name;
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw new UsageError(`--tools ${arg}: definition ${i + 1} has no valid "name".`, 'Each tool is {"type":"function","function":{"name","description","parameters"}}.');
    }
    return { type: 'function' as const, function: { ...fn, name } };
  });
}

/** `--tool-result <id>=<json>` answers; every pending call of the last assistant turn must get one. */
export function toolMessages(results: readonly string[], history: readonly Message[]): Message[] {
  const last = [...history].reverse().find((m) => m.role === 'assistant');
  const pending = ((last?.tool_calls as { id: string; function: { name: string } }[] | undefined) ?? []).map((c) => ({ id: c.id, name: c.function.name }));
  if (pending.length === 0) throw new UsageError('--tool-result: the conversation has no pending tool call.', 'Tool results answer the calls printed by the previous turn.');
  const given = new Map<string, string>();
  for (const r of results) {
    const eq = r.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tool-result ${r}: expected <id>=<json>.`);
    const id = r.slice(0, eq);
    const json = r.slice(eq + 1);
    try {
      JSON.parse(json);
    } catch {
      throw new UsageError(`--tool-result ${id}: the result is not valid JSON.`, `Quote it for the shell, e.g. --tool-result '${id}={"ok":true}'.`);
    }
    if (!pending.some((p) => p.id === id)) throw new UsageError(`--tool-result ${id}: no such pending call.`, `Pending: ${pending.map((p) => p.id).join(', ')}.`);
    given.set(id, json);
  }
  const missing = pending.filter((p) => !given.has(p.id));
  if (missing.length > 0) throw new UsageError(`--tool-result missing for ${missing.map((p) => p.id).join(', ')}.`, 'Every tool call needs its result in the next turn.');
  return pending.map((p) => ({ role: 'tool', tool_call_id: p.id, name: p.name, content: given.get(p.id) as string }));
}
