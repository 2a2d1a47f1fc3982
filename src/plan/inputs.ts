// The images a command works on: argv resolved (files, globs, directories, stdin, URLs), with the
// resizer opened first when --max-edge/--max-bytes ask for one (sharp is loaded only then).
import { downloadUrl } from '../api/download.js';
import { UsageError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { streamInputs } from '../inputs/resolve.js';
import { openResizer, type Resizer } from '../inputs/resize.js';
import type { ResizeOptions } from '../inputs/resize-plan.js';
import { readAll, type Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';

export interface CommandInputs {
  images: Image[];
  /** Present with --max-edge/--max-bytes; the caller resizes the images it will send. */
  resizer: Resizer | undefined;
}

export interface InputChoices {
  /** Paths that may sit among images without a "not an image" note (sidecars). */
  expected?: (path: string) => boolean;
  /** No inputs is fine (a continued conversation); stdin is then not read either. */
  optional?: boolean;
  /** The images go out in one request right away: hash large files while sending them (not with resizing). */
  deferHash?: boolean;
  /** Each image is handed to this, in input order, as it is read, and not kept (`images` is then empty). */
  take?: (img: Image) => void;
}

export async function commandInputs(args: string[], o: ResizeOptions, io: Io, term: Terminal, c: InputChoices = {}): Promise<CommandInputs> {
  const resizer = await openResizer(o, io.env);
  const images: Image[] = [];
  const taken = await streamInputs(
    c.optional ? args : defaultInputs(args, io),
    {
      cwd: io.cwd,
      readStdin: () => readAll(io.stdin),
      download: (url) => downloadUrl(url, io.env, io.signal),
      warn: (line) => term.warn(line),
      ...(c.expected ? { expected: c.expected } : {}),
      convert: resizer !== undefined,
      deferHash: c.deferHash === true && resizer === undefined,
    },
    c.take ?? ((img) => images.push(img)),
  );
  if (taken === 0 && !c.optional) throw new UsageError('no input matched.', 'Give image files, a quoted glob, a directory, or - for stdin.');
  return { images, resizer };
}

/** No inputs and stdin not a terminal: read the image from stdin. */
function defaultInputs(inputs: string[], io: Io): string[] {
  if (inputs.length > 0) return inputs;
  if (io.stdin.isTTY) throw new UsageError('no input given.', 'Give image files, a quoted glob, a directory, or pipe an image in (… | kimi-vision describe).');
  return ['-'];
}
