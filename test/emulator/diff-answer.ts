// The emulated model's answer to a diff request (`kimi-vision diff`): a user message holding a
// "Before:" text part, an image, an "After:" text part and an image. The answer is the JSON object
// diff asks for, made up deterministically from the two images' sha256 (the emulator does not look
// at pixels): the same pair always gets the same changes, identical images get none.
//
// `as_expected` answers an expectation quoted in the instruction as `Expected change: "<text>"`:
// null when there is none; else true exactly when the expectation names the region of every change
// (so a test gets true by naming them all, e.g. DIFF_REGIONS.join(', '), and false with any text
// that names none); false when nothing changed (the expected change did not happen).
//
// A file on one side only (--describe-new) is a user message of "Added:" or "Removed:" and its
// image: its answer says what the screen shows, with no changes and as_expected null.
//
// The search covers every user message, so the one retry (the conversation resent with a
// correction after it) is answered too. malformedDiffReply() makes the first answers bad, through
// the emulator's `reply` option, to exercise that retry.
import { createHash } from 'node:crypto';
import type { ReplyContext } from './types.js';

export const DIFF_REGIONS = ['the header', 'the Save button', 'the sidebar', 'the footer', 'the main panel'] as const;
const KINDS = ['layout', 'text', 'color', 'content', 'other'] as const;
const WHAT: Record<(typeof KINDS)[number], string> = {
  layout: 'moved',
  text: 'shows different text',
  color: 'changed colour',
  content: 'shows new content',
  other: 'looks different',
};

export interface DiffRequest {
  /** The images' sha256 (or ms://<id> for uploads), in order. */
  before: string;
  after: string;
  expectation: string | undefined;
}

export interface DiffAnswerShape {
  changed: boolean;
  summary: string;
  changes: { where: string; what: string; kind: (typeof KINDS)[number] }[];
  as_expected: boolean | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The image behind a logged image_url part: its sha256 from the summarised data URL, or the ms:// URL. */
function imageId(part: Obj): string | undefined {
  if (part.type !== 'image_url') return undefined;
  const field = part.image_url;
  const url = typeof field === 'string' ? field : isObj(field) ? field.url : undefined;
  if (typeof url !== 'string') return undefined;
  return /sha256=([0-9a-f]{64})>$/.exec(url)?.[1] ?? (url.startsWith('ms://') ? url : undefined);
}

/** The diff request in a logged body (the last user message shaped like one), or undefined. */
function diffRequestOf(body: unknown): DiffRequest | undefined {
  const messages = isObj(body) && Array.isArray(body.messages) ? body.messages : [];
  for (const m of [...messages].reverse()) {
    if (!isObj(m) || m.role !== 'user' || !Array.isArray(m.content)) continue;
    const parts = m.content.filter(isObj);
    const at = parts.findIndex(
      (p, i) => p.type === 'text' && String(p.text).trim() === 'Before:' && parts[i + 2]?.type === 'text' && String(parts[i + 2]?.text).trim() === 'After:',
    );
    if (at < 0) continue;
    const before = imageId(parts[at + 1] ?? {});
    const after = imageId(parts[at + 3] ?? {});
    if (!before || !after) continue;
    const text = parts
      .slice(at + 4)
      .filter((p) => p.type === 'text')
      .map((p) => String(p.text))
      .join('\n');
    return { before, after, expectation: expectationIn(text) };
  }
  return undefined;
}

function expectationIn(text: string): string | undefined {
  const quoted = /Expected change: ("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  if (!quoted) return undefined;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** The answer to a pair: one or two changes in distinct regions, chosen by the images' hashes. */
export function diffAnswerFor(req: DiffRequest): DiffAnswerShape {
  if (req.before === req.after) {
    return { changed: false, summary: 'No visible change.', changes: [], as_expected: req.expectation === undefined ? null : false };
  }
  const seed = createHash('sha256').update(`${req.before}\n${req.after}`).digest();
  const at = (i: number) => seed[i] as number;
  const regions = [at(1) % DIFF_REGIONS.length];
  if (at(0) % 2 === 1) regions.push((regions[0]! + 1 + (at(2) % (DIFF_REGIONS.length - 1))) % DIFF_REGIONS.length);
  const changes = regions.map((r, i) => {
    const kind = KINDS[at(3 + i) % KINDS.length] as (typeof KINDS)[number];
    return { where: DIFF_REGIONS[r] as string, what: WHAT[kind], kind };
  });
  const summary = `${changes.map((c) => `${c.where} ${c.what}`).join('; ')}.`.replace(/^t/, 'T');
  const wanted = req.expectation?.toLowerCase();
  const as_expected = wanted === undefined ? null : changes.every((c) => wanted.includes(c.where.replace(/^the /, '').toLowerCase()));
  return { changed: true, summary, changes, as_expected };
}

/** A file on one side only, described alone (diff --describe-new): "Added:" or "Removed:", then its image. */
export interface AloneRequest {
  side: 'added' | 'removed';
  image: string;
}

/** The alone request in a logged body (the last user message shaped like one), or undefined. */
function aloneRequestOf(body: unknown): AloneRequest | undefined {
  const messages = isObj(body) && Array.isArray(body.messages) ? body.messages : [];
  for (const m of [...messages].reverse()) {
    if (!isObj(m) || m.role !== 'user' || !Array.isArray(m.content)) continue;
    const parts = m.content.filter(isObj);
    const label = parts[0]?.type === 'text' ? String(parts[0].text).trim() : '';
    const image = imageId(parts[1] ?? {});
    if ((label === 'Added:' || label === 'Removed:') && image) return { side: label === 'Added:' ? 'added' : 'removed', image };
  }
  return undefined;
}

/** What a screen on one side shows: two regions chosen by its hash; no changes, no expectation. */
export function aloneAnswerFor(req: AloneRequest): DiffAnswerShape {
  const seed = createHash('sha256').update(req.image).digest();
  const first = (seed[0] as number) % DIFF_REGIONS.length;
  const second = (first + 1 + ((seed[1] as number) % (DIFF_REGIONS.length - 1))) % DIFF_REGIONS.length;
  return { changed: true, summary: `A screen that was ${req.side}: it shows ${DIFF_REGIONS[first]} and ${DIFF_REGIONS[second]}.`, changes: [], as_expected: null };
}

/** The emulator's hook: the answer text of a diff request, undefined for any other request. */
export function diffAnswer(ctx: Pick<ReplyContext, 'body'>): string | undefined {
  const req = diffRequestOf(ctx.body);
  if (req) return JSON.stringify(diffAnswerFor(req));
  const alone = aloneRequestOf(ctx.body);
  return alone ? JSON.stringify(aloneAnswerFor(alone)) : undefined;
}

/**
 * A `reply` option whose first `times` diff answers are bad: JSON cut short ('cut'), or a whole
 * object with a kind outside the list ('wrong-kind'). Later ones, and other requests, fall through
 * to the usual answers.
 */
export function malformedDiffReply(times = 1, how: 'cut' | 'wrong-kind' = 'cut'): (ctx: ReplyContext) => string | undefined {
  let left = times;
  return (ctx) => {
    const req = diffRequestOf(ctx.body);
    if (!req || left <= 0) return undefined;
    left -= 1;
    const good = JSON.stringify(diffAnswerFor(req));
    if (how === 'cut') return good.slice(0, Math.floor(good.length / 2));
    return JSON.stringify({ ...diffAnswerFor(req), changes: [{ where: 'the header', what: 'changed colour', kind: 'colour' }] });
  };
}
