// `kimi-vision chat [inputs...]`: an interactive conversation about images. Each line is a turn,
// run through describe (so estimates, streaming, retries and saving are the same); answers go to
// stdout, the prompt and notes to stderr. Works from a pipe too: one line, one turn.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { KvError, EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { describeCommand, type DescribeOptions } from './describe.js';
import { reportError } from '../cli.js';
import { streamOf } from '../output/fd-writer.js';

const HELP = [
  '/image <path>   add an image (or glob, or directory) to your next message',
  '/save [file]    say where the conversation is saved (after every answer); with a file, write it as Markdown',
  '/exit           leave (Ctrl-D too)',
].join('\n');

export async function chatCommand(inputs: string[], o: DescribeOptions, io: Io): Promise<number> {
  if (inputs.includes('-')) throw new UsageError('chat reads your messages from stdin, so an image cannot come from - here.', 'Pass image files instead.');
  let session = o.session ?? (o.continue ? 'last' : undefined);
  let pending = [...inputs];
  const tty = io.stdin.isTTY === true;
  const rl = createInterface({ input: io.stdin, output: streamOf(io.stderr), terminal: tty && io.stderr.isTTY === true, historySize: 200 });
  const ask = () => {
    if (tty) rl.prompt();
  };
  rl.setPrompt('you> ');
  if (tty) io.stderr.write(`Chatting about ${pending.length} image${pending.length === 1 ? '' : 's'}. /help for commands.\n`);
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
      io.stderr.write(`${HELP}\n`);
    } else if (line.startsWith('/image')) {
      const arg = line.slice('/image'.length).trim();
      if (arg) {
        pending.push(arg);
        io.stderr.write(`added ${arg} to your next message\n`);
      } else io.stderr.write('usage: /image <path>\n');
    } else if (line === '/save' || line.startsWith('/save ')) {
      await saveCommand(line.slice('/save'.length).trim(), session, io);
    } else if (line.startsWith('/')) {
      io.stderr.write(`unknown command ${line.split(' ')[0]}; /help lists them\n`);
    } else {
      const turn: DescribeOptions = {
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
        await describeCommand(pending, turn, io);
        pending = [];
      } catch (err) {
        if (io.signal.aborted) throw err;
        const code = reportError(err, io);
        if (err instanceof KvError && (code === EXIT.auth || code === EXIT.money)) return code;
      }
    }
    ask();
  }
  rl.close();
  return io.signal.aborted ? EXIT.interrupted : EXIT.ok;
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
  const { writeFileAtomic } = await import('../session/atomic.js');
  const target = path.resolve(io.cwd, file);
  await writeFileAtomic(target, transcriptMarkdown(await loadSessionFile(io.env, session)));
  io.stderr.write(`wrote the conversation to ${file}\n`);
}
