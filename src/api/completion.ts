// Folds streamed chunks (or one non-streamed body) into a finished answer. Pure: no IO.

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Completion {
  id: string | undefined;
  model: string | undefined;
  text: string;
  reasoning: string;
  finishReason: string | undefined;
  usage: Usage | undefined;
  toolCalls: ToolCall[];
}

export function emptyCompletion(): Completion {
  return { id: undefined, model: undefined, text: '', reasoning: '', finishReason: undefined, usage: undefined, toolCalls: [] };
}

export interface Delta {
  text: string;
  reasoning: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Reads usage from either placement; returns undefined when there is none. */
function readUsage(v: unknown): Usage | undefined {
  if (!isObj(v)) return undefined;
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const usage: Usage = {
    prompt_tokens: n(v.prompt_tokens),
    completion_tokens: n(v.completion_tokens),
    total_tokens: n(v.total_tokens) || n(v.prompt_tokens) + n(v.completion_tokens),
  };
  const cached = isObj(v.prompt_tokens_details) ? v.prompt_tokens_details.cached_tokens : v.cached_tokens;
  if (typeof cached === 'number') usage.cached_tokens = cached;
  const reasoning = isObj(v.completion_tokens_details) ? v.completion_tokens_details.reasoning_tokens : undefined;
  if (typeof reasoning === 'number') usage.reasoning_tokens = reasoning;
  return usage;
}

/**
 * Applies one `chat.completion.chunk` to the completion and returns what it added.
 * Usage may sit in `choices[0].usage` or top-level `usage` (with empty `choices`): the last one wins.
 */
export function applyChunk(c: Completion, chunk: unknown): Delta {
  const delta: Delta = { text: '', reasoning: '' };
  if (!isObj(chunk)) return delta;
  if (typeof chunk.id === 'string') c.id = chunk.id;
  if (typeof chunk.model === 'string') c.model = chunk.model;
  const top = readUsage(chunk.usage);
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  const choice: unknown = choices.find((ch) => isObj(ch) && (ch.index ?? 0) === 0);
  if (isObj(choice)) {
    const d = isObj(choice.delta) ? choice.delta : {};
    delta.text = str(d.content);
    delta.reasoning = str(d.reasoning_content);
    c.text += delta.text;
    c.reasoning += delta.reasoning;
    if (Array.isArray(d.tool_calls)) applyToolCallDeltas(c, d.tool_calls);
    if (typeof choice.finish_reason === 'string') c.finishReason = choice.finish_reason;
    const inChoice = readUsage(choice.usage);
    if (inChoice) c.usage = inChoice;
  }
  if (top) c.usage = top;
  return delta;
}

/** Tool-call deltas carry an index; id and name come once, arguments arrive in fragments. */
function applyToolCallDeltas(c: Completion, deltas: unknown[]): void {
  for (const d of deltas) {
    if (!isObj(d)) continue;
    const index = typeof d.index === 'number' ? d.index : c.toolCalls.length;
    const call = (c.toolCalls[index] ??= { id: '', name: '', arguments: '' });
    if (typeof d.id === 'string' && d.id) call.id = d.id;
    const fn = isObj(d.function) ? d.function : {};
    if (typeof fn.name === 'string' && fn.name) call.name = fn.name;
    call.arguments += str(fn.arguments);
  }
}

/** A non-streamed `chat.completion` body as a Completion. */
export function fromBody(body: unknown): Completion {
  const c = emptyCompletion();
  if (!isObj(body)) return c;
  if (typeof body.id === 'string') c.id = body.id;
  if (typeof body.model === 'string') c.model = body.model;
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (isObj(choice)) {
    const m = isObj(choice.message) ? choice.message : {};
    c.text = str(m.content);
    c.reasoning = str(m.reasoning_content);
    if (Array.isArray(m.tool_calls)) {
      applyToolCallDeltas(
        c,
        m.tool_calls.map((t, index) => (isObj(t) ? { index, ...t } : t)),
      );
    }
    if (typeof choice.finish_reason === 'string') c.finishReason = choice.finish_reason;
    c.usage = readUsage(choice.usage);
  }
  c.usage = readUsage(body.usage) ?? c.usage;
  return c;
}
