// `kimi-vision chat [inputs...]`: an interactive conversation about images. Each line is a turn,
// run as describe runs its turn (conversation/turn.ts: estimates, streaming, retries and saving are the same); answers go to
// stdout, the prompt and notes to stderr. Works from a pipe too: one line, one turn.
//
// Ctrl-C while an answer is pending or streaming aborts that request (the connection is closed, so
// the rest is not paid for) and returns to the prompt; Ctrl-C at an empty prompt ends chat (130),
// Ctrl-D ends it (0). From a pipe, the exit code is that of the first failed turn, as with --each.
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { ApiError, EXIT, KvError, StoreError, UsageError } from '../errors.js';
import { resolveInputs } from '../inputs/resolve.js';
import type { Io } from '../io.js';
import { runTurn, type TurnOptions } from '../conversation/turn.js';
import { reportError } from '../output/report.js';
import { streamOf } from '../output/fd-writer.js';
import { errnoWords } from '../store/store-error.js';

const HELP = [
  '/image <path>   add an image (or glob, or directory) to your next message',
  '/images         list the images queued for your next message',
  '/clear          drop the images queued for your next message',
  '/save [file]    say where the conversation is saved (after every answer); with a file, write it as Markdown',
  '/exit           leave (Ctrl-D too); Ctrl-C stops an answer, and at an empty prompt leaves',
].join('\n');

/** Failures after which no later turn can do better: a rejected key, no money left. */
const FATAL = new Set<number>([EXIT.auth, EXIT.money]);

export async function chatCommand(inputs: string[], o: TurnOptions, io: Io): Promise<number> {
  if (inputs.includes('-')) throw new UsageError('chat reads your messages from stdin, so an image cannot come from - here.', 'Pass image files instead.');
  let session = o.session ?? (o.continue ? 'last' : undefined);
  let pending = [...inputs];
  const tty = io.stdin.isTTY === true;
  const rl = createInterface({ input: io.stdin, output: streamOf(io.stderr), terminal: tty && io.stderr.isTTY === true, historySize: 200 });
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let turn: AbortController | undefined;
  let firstFailure: number | undefined;
  let endCode: number | undefined;
  rl.on('SIGINT', () => {
    if (turn) return turn.abort('SIGINT'); // the answer stops; the prompt comes back
    if (rl.line !== '') {
      say('^C');
      clearLine(rl);
      return ask();
    }
    endCode = EXIT.interrupted;
    rl.close();
  });
  let closed = false;
  rl.once('close', () => (closed = true));
  const ask = () => {
    if (tty && !closed) rl.prompt();
  };
  rl.setPrompt('you> ');
  if (tty) say(`Chatting about ${pending.length} image${pending.length === 1 ? '' : 's'}. /help for commands.`);
  ask();
  for await (const raw of rl) {
    const line = raw.trim();
    if (io.signal.aborted) break;
    if (line === '') {
      ask();
      continue;
    }
    if (line === '/exit' || line === '/quit') break;
    if (line === '/help') {
      say(HELP);
    } else if (line === '/image' || line.startsWith('/image ')) {
      const arg = line.slice('/image'.length).trim();
      if (arg) await queueImage(arg, pending, io, say);
      else say('usage: /image <path>');
    } else if (line === '/images') {
      say(pending.length === 0 ? 'no images queued' : `queued for your next message: ${pending.join(', ')}`);
    } else if (line === '/clear') {
      say(pending.length === 0 ? 'no images queued' : `dropped ${pending.length} queued input${pending.length === 1 ? '' : 's'}`);
      pending = [];
    } else if (line === '/save' || line.startsWith('/save ')) {
      await saveCommand(line.slice('/save'.length).trim(), session, io).catch((err: unknown) => reportError(err, io));
    } else if (line.startsWith('/')) {
      say(`unknown command ${line.split(' ')[0]}; /help lists them`);
    } else {
      turn = new AbortController();
      const turnIo: Io = { ...io, signal: AbortSignal.any([io.signal, turn.signal]) };
      const options: TurnOptions = {
        ...o,
        prompt: line,
        continue: session !== undefined,
        ...(session && session !== 'last' ? { session } : { session: undefined }),
        onSession: (id: string) => {
          session = id;
        },
      };
      try {
        if (session === undefined && pending.length === 0) throw new UsageError('add an image first (/image <path>), or start chat with image files.');
        await runTurn(pending, options, turnIo);
        pending = [];
      } catch (err) {
        if (io.signal.aborted) throw err;
        if (turn.signal.aborted) {
          say(`stopped; nothing of this turn was saved${pending.length > 0 ? ' (its images stay queued: /images, /clear)' : ''}`);
        } else {
          const code = reportError(err, io);
          firstFailure ??= code;
          if (err instanceof KvError && FATAL.has(code)) {
            rl.close();
            return code;
          }
          // What made the turn fail must not make every later one fail: an input that cannot be read
          // or that the API refuses as an image is dropped from the queue (other failures keep it).
          if (pending.length > 0 && badInput(err)) {
            say(`dropped the ${pending.length} queued input${pending.length === 1 ? '' : 's'} of that turn; /image adds them again`);
            pending = [];
          }
        }
      } finally {
        turn = undefined;
      }
    }
    ask();
  }
  rl.close();
  if (io.signal.aborted) return io.signal.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  if (endCode !== undefined) return endCode;
  return tty ? EXIT.ok : (firstFailure ?? EXIT.ok);
}

/** `/image <arg>`: checked now (it exists, it is an image), queued only then. */
async function queueImage(arg: string, pending: string[], io: Io, say: (line: string) => void): Promise<void> {
  try {
    const found = await resolveInputs([arg], {
      cwd: io.cwd,
      readStdin: () => Promise.reject(new UsageError('stdin is where chat reads your messages.')),
      warn: say,
      deferHash: true,
    });
    if (found.length === 0) throw new UsageError(`${arg}: no image matched.`);
    pending.push(arg);
    say(`added ${found.length === 1 ? arg : `${found.length} images (${arg})`} to your next message`);
  } catch (err) {
    reportError(err, io);
    say('nothing was added');
  }
}

/** The queued inputs were the problem: unreadable, not an image, or refused by the API as one. */
function badInput(err: unknown): boolean {
  if (err instanceof KvError && err.exitCode === EXIT.input) return true;
  return err instanceof ApiError && err.status === 400 && /\b(image|video)\b/i.test(err.message);
}

function clearLine(rl: Interface): void {
  rl.write(null, { ctrl: true, name: 'e' });
  rl.write(null, { ctrl: true, name: 'u' });
}

/** `/save`: where the session is; `/save <file>`: the conversation as Markdown in that file. */
async function saveCommand(file: string, session: string | undefined, io: Io): Promise<void> {
  if (!session || session === 'last') {
    io.stderr.write('nothing to save yet\n');
    return;
  }
  if (!file) {
    io.stderr.write(`saved as session ${session} (kimi-vision describe --session ${session} continues it)\n`);
    return;
  }
  const { loadSessionFile } = await import('../session/session.js');
  const { transcriptMarkdown } = await import('../session/transcript.js');
  const { writeFileAtomic } = await import('../store/atomic.js');
  const target = path.resolve(io.cwd, file);
  const transcript = transcriptMarkdown(await loadSessionFile(io.env, session));
  try {
    // (atomic: a file that cannot be written, a folder, a full disk leave no part of it behind)
    await writeFileAtomic(target, transcript);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    throw new KvError(
      err.exitCode,
      `cannot write the conversation to ${file}: ${errnoWords(err.code)} (${err.code}).`,
      'Give a file in a folder you can write to; the conversation itself is saved and chat goes on.',
    );
  }
  io.stderr.write(`wrote the conversation to ${file}\n`);
}
