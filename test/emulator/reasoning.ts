// The rule of the 2026-12-01 update: thinking models need each earlier assistant turn's
// reasoning_content sent back unchanged. The emulator remembers (bounded, by hash) the reasoning it
// emitted, so a history whose reasoning is missing, edited or invented is refused as the service does.

import { createHash } from 'node:crypto';
import type { LiveModel } from './catalog.js';
import { badRequest } from './respond.js';
import { textTokens } from './tokens.js';

/** Reasoning texts remembered; the oldest are forgotten first (a long soak must not grow memory). */
const REMEMBERED = 10_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class ReasoningMemory {
  /** Hashes in insertion order, so the first is the oldest. */
  private readonly hashes = new Set<string>();
  private readonly limit: number;

  constructor(limit = REMEMBERED) {
    this.limit = limit;
  }

  /** Records reasoning the emulator emitted. An empty one is not remembered: it counts as none. */
  remember(text: string): void {
    if (text === '') return;
    const h = digest(text);
    this.hashes.delete(h);
    this.hashes.add(h);
    if (this.hashes.size > this.limit) {
      const oldest = this.hashes.values().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
  }

  knows(text: string): boolean {
    return text !== '' && this.hashes.has(digest(text));
  }

  get size(): number {
    return this.hashes.size;
  }
}

/** Whether a request to `model` must carry earlier reasoning: K3 and K2.7-code always, K2.6 with keep "all". */
export function needsReasoning(model: LiveModel, preserved: boolean): boolean {
  return model.keepsReasoning === 'always' || preserved;
}

/** The same decision from a body nobody validated (the token estimate endpoint). */
export function needsReasoningLoose(model: LiveModel, body: Obj): boolean {
  const thinking = body.thinking;
  return needsReasoning(model, isObj(thinking) && thinking.type === 'enabled' && thinking.keep === 'all');
}

/** The assistant turns that are resent history: all but a final Partial Mode prefix. */
function resentTurns(messages: unknown[]): { m: Obj; i: number }[] {
  const last = messages.length - 1;
  return messages.map((m, i) => ({ m: m as Obj, i })).filter(({ m, i }) => isObj(m) && m.role === 'assistant' && !(i === last && m.partial === true));
}

/**
 * Refuses a history whose assistant turns lack the reasoning this emulator produced for them.
 * The wording of both messages is a guess: users report a 400 invalid_request_error, not its text.
 */
export function checkReasoningHistory(messages: unknown[], memory: ReasoningMemory): void {
  for (const { m, i } of resentTurns(messages)) {
    const reasoning = m.reasoning_content;
    if (typeof reasoning !== 'string' || reasoning === '') {
      throw badRequest(
        `Invalid request: messages[${i}] is an assistant message without reasoning_content; this model needs the reasoning_content of every earlier assistant turn sent back unchanged`,
      );
    }
    if (!memory.knows(reasoning)) {
      throw badRequest(`Invalid request: the reasoning_content of messages[${i}] is not the one the model produced; send it back unchanged`);
    }
  }
}

/** Tokens of the reasoning resent in the history (counted as input when the model keeps it). */
export function historyReasoningTokens(messages: unknown[]): number {
  return resentTurns(messages).reduce((n, { m }) => n + (typeof m.reasoning_content === 'string' ? textTokens(m.reasoning_content) : 0), 0);
}
