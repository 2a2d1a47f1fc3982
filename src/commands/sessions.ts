// `kimi-vision sessions`: the saved conversations, newest first; a damaged file is skipped with a note.
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { Terminal } from '../output/terminal.js';
import { listSessions } from '../session/list.js';

export async function sessionsCommand(o: { format: 'text' | 'json' }, io: Io): Promise<number> {
  const { sessions, skipped } = await listSessions(io.env);
  const term = await Terminal.open(io);
  for (const why of skipped) term.warn(`note: skipped ${why}`);
  if (o.format === 'json') {
    io.stdout.write(`${JSON.stringify(sessions)}\n`);
    return EXIT.ok;
  }
  if (sessions.length === 0) {
    term.line(skipped.length > 0 ? 'no other saved conversations.' : 'no saved conversations yet (describe and chat save them).');
    return EXIT.ok;
  }
  for (const s of sessions) {
    const prompt = s.first_prompt.replace(/\s+/g, ' ').slice(0, 60);
    io.stdout.write(
      `${s.id}\t${s.updated_at.slice(0, 16).replace('T', ' ')}\t${s.model}\t${s.turns} turn${s.turns === 1 ? '' : 's'}\t${s.images} image${s.images === 1 ? '' : 's'}\t${prompt}\n`,
    );
  }
  return EXIT.ok;
}
