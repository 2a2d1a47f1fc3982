// `kimi-vision sessions`: a summary of each saved conversation, newest first. A file that cannot be
// read or is damaged is skipped and named (the others are still listed), never fatal.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { KvError } from '../errors.js';
import { storePaths } from '../store/paths.js';
import { readStateJson } from '../store/state-file.js';
import type { Session } from './session.js';
import { sessionShape } from './shape.js';

interface SessionSummary {
  id: string;
  updated_at: string;
  model: string;
  turns: number;
  images: number;
  first_prompt: string;
}

export interface SessionList {
  sessions: SessionSummary[];
  /** What was skipped, as the error says it ("damaged: <path> (…)", "cannot read <path>: …"). */
  skipped: string[];
}

export async function listSessions(env: Record<string, string | undefined>): Promise<SessionList> {
  const dir = storePaths(env).sessionsDir;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  const sessions: SessionSummary[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    try {
      const read = readStateJson(path.join(dir, name), sessionShape);
      if (read) sessions.push(summary(read.value as Session));
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      skipped.push(err.message);
    }
  }
  return { sessions: sessions.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1)), skipped };
}

function summary(s: Session): SessionSummary {
  const users = s.messages.filter((m) => m.role === 'user');
  const parts = users.flatMap((m) => (typeof m.content === 'string' ? [] : m.content));
  const first = users[0]?.content;
  const text = typeof first === 'string' ? first : ((first?.find((p) => p.type === 'text') as { text?: string } | undefined)?.text ?? '');
  return { id: s.id, updated_at: s.updated_at, model: s.model, turns: users.length, images: parts.filter((p) => p.type !== 'text').length, first_prompt: text };
}
