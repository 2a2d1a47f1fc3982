// --prompt-file: the prompt from a file, which must be UTF-8 text.
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { readError } from './read.js';

async function readPromptFile(file: string, cwd: string, alsoPrompt: boolean): Promise<string> {
  if (alsoPrompt) throw new UsageError('give either -p/--prompt or --prompt-file, not both.');
  const bytes = await fsPromises()
    .readFile(path.resolve(cwd, file))
    .catch((err: unknown) => {
      throw readError(err, file);
    });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\r?\n$/, '');
  } catch {
    throw new InputError(`${file}: the prompt file is not UTF-8 text.`, 'Convert it, e.g. iconv -f latin1 -t utf-8 file > file.utf8.');
  }
}

/** The options with --prompt-file read into `prompt` (the two together are refused). */
export async function withPromptFile<T extends { prompt?: string; promptFile?: string }>(o: T, cwd: string): Promise<T> {
  return o.promptFile === undefined ? o : { ...o, prompt: await readPromptFile(o.promptFile, cwd, o.prompt !== undefined) };
}
