// The conversation as a model takes it. Each assistant turn keeps the model's reasoning
// (`reasoning_content`) in the saved session; it is resent, unchanged, to the models that need it
// (kimi-k3, kimi-k3.1, kimi-k2.7-code answer 400 without it) and left out for the others. Pure.
import { findModel } from '../models.js';
import type { Message } from './messages.js';

/** Whether earlier turns' reasoning goes back to this model. Unknown models get it: a field they do
 *  not know costs a few tokens, a missing one the models that need it refuse. */
function resendsReasoning(modelId: string): boolean {
  const model = findModel(modelId);
  return model === undefined || model.resendsReasoning === true;
}

/** The messages to send to `modelId`: reasoning kept where it must be resent, dropped elsewhere. */
export function messagesForModel(messages: readonly Message[], modelId: string): readonly Message[] {
  if (resendsReasoning(modelId) || !messages.some(hasReasoning)) return messages;
  return messages.map((m) => {
    if (!hasReasoning(m)) return m;
    const { reasoning_content: _dropped, ...rest } = m;
    return rest as Message;
  });
}

function hasReasoning(m: Message): boolean {
  return m.role === 'assistant' && m.reasoning_content !== undefined;
}

/** An assistant turn as it goes into the history: the answer, its tool calls, and its reasoning. */
export function assistantTurn(text: string, reasoning: string, toolCalls: readonly { id: string; name: string; arguments: string }[]): Message {
  const m: Message = { role: 'assistant', content: text };
  if (reasoning) m.reasoning_content = reasoning;
  if (toolCalls.length > 0) m.tool_calls = toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return m;
}
