// Saving a turn: the whole conversation (this turn's messages and the answer, reasoning included)
// as its session; a failure to save never loses the printed answer.
import type { ResponsePlan } from '../request/response.js';
import { newSession, saveSession, type Session } from '../session/session.js';
import type { Turn } from './prepare.js';
import { assistantMessage, type Answered } from './send.js';

/** Request fields that stay with the conversation. */
const KEPT = new Set(['response_format', 'tools', 'tool_choice']);

export async function saveTurn(t: Turn, a: Answered): Promise<Session> {
  const messages = [...a.plan.messages.filter((m) => m.partial !== true), assistantMessage(a)];
  const session: Session = { ...(t.prior?.session ?? newSession(a.plan.model)), model: a.plan.model, params: keptParams(t.response) };
  await saveSession(session, messages, t.io.env).catch((err: Error) => t.term.warn(`the conversation could not be saved (${err.message}); --continue will not find it.`));
  return session;
}

function keptParams(response: ResponsePlan): Record<string, unknown> {
  return Object.fromEntries(Object.entries(response.extra).filter(([k]) => KEPT.has(k)));
}

