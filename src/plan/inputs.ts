// The images a command works on: argv resolved (files, globs, directories, stdin, URLs), with the
// resizer opened first when --max-edge/--max-bytes ask for one (sharp is loaded only then).
import { downloadUrl } from '../api/download.js';
import { UsageError } from '../errors.js';
import type { Input } from '../inputs/bad-input.js';
import type { Image } from '../inputs/image.js';
import { resolveInputs, streamEach, type ResolveOptions } from '../inputs/resolve.js';
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
}

/** The images, all of them good: the first bad input refuses the command (nothing is sent). */
export async function commandInputs(args: string[], o: ResizeOptions, io: Io, term: Terminal, c: InputChoices = {}): Promise<CommandInputs> {
  const resizer = await openResizer(o, io.env);
  const images = await resolveInputs(c.optional ? args : defaultInputs(args, io), resolveOptions(io, term, c, resizer));
  if (images.length === 0 && !c.optional) throw noInput();
  return { images, resizer };
}

/**
 * Every input in order, a bad one (missing, unreadable, not an image) in its place, for one request
 * per input: each is handed to `take` as it is read (in order) and kept nowhere here.
 */
export async function commandEachInputs(
  args: string[],
  o: ResizeOptions,
  io: Io,
  term: Terminal,
  c: InputChoices,
  take: (x: Input) => void,
): Promise<{ resizer: Resizer | undefined }> {
  const resizer = await openResizer(o, io.env);
  const given = await streamEach(defaultInputs(args, io), resolveOptions(io, term, c, resizer), take);
  if (given === 0) throw noInput();
  return { resizer };
}

function resolveOptions(io: Io, term: Terminal, c: InputChoices, resizer: Resizer | undefined): ResolveOptions {
  return {
    cwd: io.cwd,
    readStdin: () => readAll(io.stdin),
    download: (url) => downloadUrl(url, io.env, io.signal),
    warn: (line) => term.warn(line),
    ...(c.expected ? { expected: c.expected } : {}),
    convert: resizer !== undefined,
    deferHash: c.deferHash === true && resizer === undefined,
  };
}

const noInput = () => new UsageError('no input matched.', 'Give image files, a quoted glob, a directory, or - for stdin.');

/** No inputs and stdin not a terminal: read the image from stdin. */
function defaultInputs(inputs: string[], io: Io): string[] {
  if (inputs.length > 0) return inputs;
  if (io.stdin.isTTY) throw new UsageError('no input given.', 'Give image files, a quoted glob, a directory, or pipe an image in (… | kimi-vision describe).');
  return ['-'];
}
