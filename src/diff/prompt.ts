// The user message of one changed pair: "Before:", the before image, "After:", the after image,
// then the instruction: what to describe, the local facts as context, the expected change
// (--expect), the user's own words (-p), and the JSON shape to answer in. Pure.
//
// The images are `media` parts holding the Image values, as request/messages.ts makes them, so the
// body writer streams them from disk. The expectation is quoted as a JSON string: whatever it
// says, it cannot read as part of the instruction around it.
import type { Image } from '../inputs/image.js';
import { assistantTurn } from '../request/history.js';
import type { Message } from '../request/messages.js';
import { CHANGE_KINDS } from './answer.js';
import type { LocalFacts, Size } from './pixels.js';

export interface DiffAsk {
  /** --expect: the change that was meant. */
  expect?: string | undefined;
  /** -p: added to the instruction. */
  prompt?: string | undefined;
  /** -s: a system message, sent first. */
  system?: string | undefined;
}

const BEFORE_LABEL = 'Before:';
const AFTER_LABEL = 'After:';

export function diffMessages(before: Image, after: Image, facts: LocalFacts, ask: DiffAsk): Message[] {
  const messages: Message[] = [];
  if (ask.system) messages.push({ role: 'system', content: ask.system });
  messages.push({
    role: 'user',
    content: [
      { type: 'text', text: BEFORE_LABEL },
      { type: 'media', image: before },
      { type: 'text', text: AFTER_LABEL },
      { type: 'media', image: after },
      { type: 'text', text: diffInstruction(facts, ask) },
    ],
  });
  return messages;
}

/** True when --expect gave something to check (blank text counts as none). */
export const isExpecting = (ask: Pick<DiffAsk, 'expect'>): boolean => (ask.expect ?? '').trim() !== '';

export function diffInstruction(facts: LocalFacts, ask: DiffAsk): string {
  const paragraphs = [
    `The image after "${BEFORE_LABEL}" is a screen before a change; the image after "${AFTER_LABEL}" is the same screen after it. Describe what changed from before to after: layout, text, colours, content. Ignore what did not change.`,
    `A pixel comparison found: ${factsSentence(facts)}`,
  ];
  const expecting = isExpecting(ask);
  if (expecting) {
    paragraphs.push(`Expected change: ${JSON.stringify((ask.expect as string).trim())}. Say in "as_expected" whether this change happened and nothing else changed.`);
  }
  const extra = ask.prompt?.trim();
  if (extra) paragraphs.push(extra);
  const kinds = CHANGE_KINDS.map((k) => `"${k}"`).join(' | ');
  paragraphs.push(
    [
      'Answer with only a JSON object of this shape, nothing before or after it:',
      `{"changed": true or false, "summary": "one or two sentences", "changes": [{"where": "the element or region", "what": "what happened to it", "kind": ${kinds}}], "as_expected": ${expecting ? 'true or false' : 'null'}}`,
      `"changes" lists each distinct change once, and is [] when nothing visible changed. ${
        expecting ? '"as_expected" is true only if the expected change happened and nothing else changed.' : '"as_expected" is null: no expected change was given.'
      }`,
    ].join('\n'),
  );
  return paragraphs.join('\n\n');
}

/** The local facts in one sentence, for the model. */
export function factsSentence(f: LocalFacts): string {
  const size = sizeWords(f.before, f.after);
  if (f.pixelsChanged === null) return `${size ? `${size}; ` : ''}the files differ (pixels not compared).`;
  const share =
    f.pixelsChanged === 0
      ? 'no pixel differs'
      : `${percentWords(f.pixelsChanged)} of the pixels differ${sizeChanged(f) ? ' (of the larger canvas, both images aligned at the top left)' : ''}`;
  const box = f.bbox ? `, all inside the box x=${f.bbox.x}, y=${f.bbox.y}, ${f.bbox.width}x${f.bbox.height} px from the top left` : '';
  return `${size ? `${size}; ` : ''}${share}${box}.`;
}

const dims = (s: Size) => `${s.width}x${s.height}`;
const sizeChanged = (f: Pick<LocalFacts, 'before' | 'after'>) =>
  f.before !== undefined && f.after !== undefined && (f.before.width !== f.after.width || f.before.height !== f.after.height);

function sizeWords(before: Size | undefined, after: Size | undefined): string {
  if (!before || !after) return '';
  return sizeChanged({ before, after }) ? `the size changed from ${dims(before)} to ${dims(after)}` : `both are ${dims(before)}`;
}

/** 3.6833 -> "3.68%", 5 -> "5%", 0.0004 -> "under 0.01%". */
export function percentWords(p: number): string {
  if (p > 0 && p < 0.01) return 'under 0.01%';
  return `${Number(p.toFixed(2))}%`;
}

/**
 * The messages of the one retry: the conversation, the answer that failed the check, and what was
 * wrong. The answer goes back as the model's turn with its reasoning, which the K3 models refuse
 * a history without (request/history.ts drops it again for the models that do not take it).
 */
export function retryMessages(messages: readonly Message[], answer: string, problem: string, reasoning = ''): Message[] {
  return [...messages, assistantTurn(answer, reasoning, []), { role: 'user', content: `That answer is wrong: ${problem}. Reply with only the corrected JSON object.` }];
}

const ADDED_LABEL = 'Added:';
const REMOVED_LABEL = 'Removed:';

/**
 * --describe-new: a file on one side only, described alone in the same JSON shape, so its record
 * reads like a pair's. There is no before and after to compare, so no expectation is asked about
 * (as_expected is null) and changes stays empty: the summary says what the screen shows.
 */
export function aloneMessages(side: 'added' | 'removed', image: Image, ask: DiffAsk): Message[] {
  const messages: Message[] = [];
  if (ask.system) messages.push({ role: 'system', content: ask.system });
  const label = side === 'added' ? ADDED_LABEL : REMOVED_LABEL;
  messages.push({
    role: 'user',
    content: [
      { type: 'text', text: label },
      { type: 'media', image },
      { type: 'text', text: aloneInstruction(side, ask) },
    ],
  });
  return messages;
}

export function aloneInstruction(side: 'added' | 'removed', ask: Pick<DiffAsk, 'prompt'>): string {
  const label = side === 'added' ? ADDED_LABEL : REMOVED_LABEL;
  const where = side === 'added' ? 'is new: it has no earlier version to compare with' : 'was removed: it has no later version to compare with';
  const paragraphs = [`The image after "${label}" is a screen that ${where}. Say what it shows, in one or two sentences.`];
  const extra = ask.prompt?.trim();
  if (extra) paragraphs.push(extra);
  paragraphs.push(
    ['Answer with only a JSON object of this shape, nothing before or after it:', '{"changed": true, "summary": "what the screen shows", "changes": [], "as_expected": null}'].join(
      '\n',
    ),
  );
  return paragraphs.join('\n\n');
}
