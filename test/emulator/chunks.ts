// Answers as the service shapes them: chat.completion.chunk payloads, or one chat.completion body.
// Key order follows the captures (id, object, created, model, choices, usage).

import { randomUUID } from 'node:crypto';
import type { Answer } from './answer.js';
import type { LiveModel } from './catalog.js';
import { hex } from './respond.js';

export interface Envelope {
  id: string;
  created: number;
  model: string;
}

export type UsagePlacement = 'choice' | 'top' | 'both';

export function envelopeFor(model: LiveModel): Envelope {
  const id = model.idStyle === 'uuid' ? `chatcmpl-${randomUUID()}` : `chatcmpl-${hex(12)}`;
  return { id, created: Math.floor(Date.now() / 1000), model: model.id };
}

const PIECE_SIZES = [3, 5, 2, 4, 6, 1];

/** Splits text into pieces of a few code points (never inside a surrogate pair). */
function pieces(text: string): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  for (let at = 0, k = 0; at < cps.length; k += 1) {
    const size = PIECE_SIZES[k % PIECE_SIZES.length] ?? 3;
    out.push(cps.slice(at, at + size).join(''));
    at += size;
  }
  return out;
}

function chunk(env: Envelope, delta: Record<string, unknown>, finish: string | null = null, usage?: unknown): string {
  const choice: Record<string, unknown> = { index: 0, delta, finish_reason: finish };
  if (usage !== undefined) choice.usage = usage;
  return JSON.stringify({ id: env.id, object: 'chat.completion.chunk', created: env.created, model: env.model, choices: [choice] });
}

/** The JSON payloads of the stream's data: events, [DONE] not included. */
export function streamPayloads(env: Envelope, answer: Answer, placement: UsagePlacement, thinking: boolean): string[] {
  const out = [chunk(env, { role: 'assistant', content: '' })];
  if (thinking && answer.reasoning) {
    for (const p of pieces(answer.reasoning)) out.push(chunk(env, { reasoning_content: p }));
    out.push(chunk(env, { reasoning_content: '' }));
  }
  const call = answer.toolCall;
  if (call) {
    out.push(chunk(env, { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    const cps = Array.from(call.arguments);
    const half = Math.ceil(cps.length / 2);
    for (const fragment of [cps.slice(0, half).join(''), cps.slice(half).join('')]) {
      if (fragment) out.push(chunk(env, { tool_calls: [{ index: 0, function: { arguments: fragment } }] }));
    }
  }
  for (const p of pieces(answer.content)) out.push(chunk(env, { content: p }));
  const inChoice = placement === 'choice' || placement === 'both';
  out.push(chunk(env, {}, answer.finishReason, inChoice ? answer.usage : undefined));
  if (placement !== 'choice') {
    out.push(JSON.stringify({ id: env.id, object: 'chat.completion.chunk', created: env.created, model: env.model, choices: [], usage: answer.usage }));
  }
  return out;
}

/** The non-streaming chat.completion body. */
export function completionBody(env: Envelope, answer: Answer, thinking: boolean): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: answer.content };
  if (thinking) message.reasoning_content = answer.reasoning;
  const call = answer.toolCall;
  if (call) {
    message.tool_calls = [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }];
  }
  return {
    id: env.id,
    object: 'chat.completion',
    created: env.created,
    model: env.model,
    choices: [{ index: 0, message, finish_reason: answer.finishReason }],
    usage: answer.usage,
  };
}
