// Saving a turn: the whole conversation (this turn's messages and the answer, reasoning included)
// as its session. A failure to save never loses the printed answer: it is given back, to be
// reported (with its exit code) once the answer is printed. Two runs continuing one conversation at
// once: the one that saves second is refused (session.ts says why), its answer printed but not saved.
import { KvError } from '../errors.js';
import type { ResponsePlan } from '../request/response.js';
import { newSession, saveSession, type Session } from '../session/session.js';
import { ChangedMeanwhileError } from '../store/update.js';
import type { Turn } from './prepare.js';
import { assistantMessage, type Answered } from './send.js';

/** Request fields that stay with the conversation. */
const KEPT = new Set(['response_format', 'tools', 'tool_choice']);

export interface SavedTurn {
  session: Session;
  /** Why the turn is not saved (a full disk, another run's turn in between); undefined when it is. */
  failure: KvError | undefined;
}

export async function saveTurn(t: Turn, a: Answered): Promise<SavedTurn> {
  const messages = [...a.plan.messages.filter((m) => m.partial !== true), assistantMessage(a)];
  const session: Session = { ...(t.prior?.session ?? newSession(a.plan.model)), model: a.plan.model, params: keptParams(t.response) };
  try {
    return { session: await saveSession(session, messages, t.io.env, t.prior?.identity), failure: undefined };
  } catch (err) {
    if (!(err instanceof KvError)) throw err;
    return { session, failure: notSaved(err, session.id, t.prior !== undefined) };
  }
}

function notSaved(err: KvError, id: string, continued: boolean): KvError {
  if (err instanceof ChangedMeanwhileError) {
    return new KvError(
      err.exitCode,
      `this turn was not saved: another run continued the conversation ${id} while this one was answered (the answer above is its only copy).`,
      `Continue from what is saved now (kimi-vision describe --session ${id}); kimi-vision sessions lists the conversations.`,
    );
  }
  const where = continued ? `the conversation ${id}` : 'this conversation';
  return new KvError(
    err.exitCode,
    `${where} could not be saved: ${err.message.replace(/\.$/, '')}; the answer above is its only copy.`,
    `${err.hint ? `${err.hint} ` : ''}Until then --continue will not find this turn.`,
  );
}

function keptParams(response: ResponsePlan): Record<string, unknown> {
  return Object.fromEntries(Object.entries(response.extra).filter(([k]) => KEPT.has(k)));
}
