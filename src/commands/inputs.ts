// The images a command works on: argv resolved (files, globs, directories, stdin, URLs), with the
// resizer opened first when --max-edge/--max-bytes ask for one (sharp is loaded only then).
import { downloadUrl } from '../api/download.js';
import type { Image } from '../inputs/image.js';
import { resolveInputs } from '../inputs/resolve.js';
import { openResizer, type Resizer } from '../inputs/resize.js';
import type { ResizeOptions } from '../inputs/resize-plan.js';
import { readAll, type Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';

export interface CommandInputs {
  images: Image[];
  /** Present with --max-edge/--max-bytes; the caller resizes the images it will send. */
  resizer: Resizer | undefined;
}

export async function commandInputs(
  args: string[],
  o: ResizeOptions,
  io: Io,
  term: Terminal,
  expected?: (path: string) => boolean,
): Promise<CommandInputs> {
  const resizer = await openResizer(o, io.env);
  const images = await resolveInputs(args, {
    cwd: io.cwd,
    readStdin: () => readAll(io.stdin),
    download: (url) => downloadUrl(url, io.env, io.signal),
    warn: (line) => term.warn(line),
    ...(expected ? { expected } : {}),
    convert: resizer !== undefined,
  });
  return { images, resizer };
}
