// An input that cannot be taken (missing, unreadable, not a supported image, too large), kept in its
// place among the images: a single request refuses the run for it, a per-image run (--each) gives
// it a failure record of its own and describes the others.
import type { InputError } from '../errors.js';
import type { Image } from './image.js';

export interface BadInput {
  /** As shown to the user (see Image.path). */
  readonly path: string;
  /** The file it names (absolute), so shards and --write place it as they would the image; none for stdin and URLs. */
  readonly file: string | undefined;
  readonly error: InputError;
}

/** What a per-input resolution yields, in input order. */
export type Input = Image | BadInput;

export function isBadInput(x: Input): x is BadInput {
  return 'error' in x;
}

/** The file an input names, good or bad: none for stdin and URLs. */
export function inputFile(x: Input): string | undefined {
  return isBadInput(x) ? x.file : x.source.kind === 'file' ? x.source.file : undefined;
}
