// Why a finished answer still fails its image: the content filter, --max-chars, or JSON that is not.
import type { Completion } from '../api/completion.js';
import { checkJsonAnswer } from './json-check.js';
import type { ResponsePlan } from '../request/response.js';
import { EXIT } from '../errors.js';
import { formatInt } from '../format.js';
import { ImageFailure } from './record.js';

export async function checkAnswer(
  c: Pick<Completion, 'text' | 'finishReason'>,
  maxChars: number | undefined,
  response: Pick<ResponsePlan, 'json' | 'schema'>,
): Promise<ImageFailure | undefined> {
  if (c.finishReason === 'content_filter') {
    return new ImageFailure(
      EXIT.rejected,
      'content_filter',
      "the answer was stopped by Moonshot's content filter (finish_reason content_filter).",
      'Change the prompt or the image.',
    );
  }
  if (maxChars !== undefined && answerLength(c.text) > maxChars) {
    return new ImageFailure(
      EXIT.rejected,
      'too_long',
      `the answer has ${formatInt(answerLength(c.text))} characters, over --max-chars ${formatInt(maxChars)}.`,
      'Raise --max-chars, or ask for less in the prompt; a rerun sends it again.',
    );
  }
  if (response.json && c.finishReason !== 'tool_calls') {
    const check = await checkJsonAnswer(c.text, response.schema);
    if (!check.ok)
      return new ImageFailure(
        EXIT.rejected,
        'invalid_json',
        `the answer is not the JSON asked for: ${check.problem}.`,
        'Describe the shape in the prompt, or raise --max-tokens if it was cut off.',
      );
  }
  return undefined;
}

/** Characters as a reader counts them (code points), of the trimmed answer. */
function answerLength(text: string): number {
  return [...text.trim()].length;
}
