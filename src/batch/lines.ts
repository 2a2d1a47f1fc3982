// The Batch API input file: one JSONL line per image, `{"custom_id","method","url","body"}`, each
// line a BodyPlan of its own (the image stays a hole filled from disk), so a 100 MB file is
// streamed, never built as a string; and the split of the lines into files of at most 100 MB. Pure.
import { InputError } from '../errors.js';
import { MAX_BODY_BYTES } from '../limits.js';
import { formatBytes } from '../format.js';
import type { BodyPlan } from '../request/body.js';

/** Moonshot takes batch input files of at most 100 MB (the /v1/files limit). */
export const MAX_BATCH_FILE_BYTES = MAX_BODY_BYTES;

export const BATCH_ENDPOINT = '/v1/chat/completions';

/**
 * The id of an image's request: its position in the inputs and the start of its content hash,
 * so results map back to the image (and a different file at the same position does not match).
 */
export function customId(index: number, sha256: string): string {
  return `img-${index}-${sha256.slice(0, 12)}`;
}

/** The input position a custom id of ours names; undefined for any other id. */
export function indexOfCustomId(id: string): number | undefined {
  const m = /^img-(\d+)-[0-9a-f]{12}$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** One JSONL line (newline included) around a chat request body: the body's holes stay holes. */
export function batchLine(id: string, body: BodyPlan): BodyPlan {
  const head = Buffer.from(`{"custom_id":${JSON.stringify(id)},"method":"POST","url":${JSON.stringify(BATCH_ENDPOINT)},"body":`);
  const tail = Buffer.from('}\n');
  return { segments: [head, ...body.segments, tail], bytes: head.length + body.bytes + tail.length };
}

export interface Sized {
  bytes: number;
}

/**
 * Consecutive runs of lines, each run at most `limit` bytes (input order kept, so batch 1 holds
 * the first images). A line alone over the limit cannot be sent: InputError naming it.
 */
export function splitBySize<T extends Sized>(lines: readonly T[], limit = MAX_BATCH_FILE_BYTES, name: (line: T, index: number) => string = (_, i) => `request ${i + 1}`): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  lines.forEach((line, i) => {
    if (line.bytes > limit) {
      throw new InputError(
        `${name(line, i)}: its batch line would be ${formatBytes(line.bytes)}; a batch input file takes at most ${formatBytes(limit)}.`,
        'Shrink the image, raise --max-file-size (at most 100), or describe it with describe --each.',
      );
    }
    if (current.length > 0 && bytes + line.bytes > limit) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += line.bytes;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}
