// The text around an image, for the prompt: the nearest heading above it, and the paragraph (list
// item, table cell) it is in, or, when it stands alone, the nearest paragraph before it under the
// same heading, else the one after it. Bounded, so a long page costs a few hundred characters.
import type { ImageContext } from './doc-image.js';
import { clipEnd, clipStart } from './plain.js';

const HEADING_MAX = 200;
const TEXT_MAX = 600;
/** Own text shorter than this (`and`, a list item's few words) is helped by the paragraph next to it. */
const SHORT = 24;

export interface ContextBlock {
  kind: 'heading' | 'text';
  /** Plain text of the block without any of its images (may be a getter, worked out when asked). */
  readonly text: string;
  /** Table cells of one row share a group: an image alone in its cell gets the rest of its row. */
  group?: number;
  /** A caption (`<figcaption>`): it speaks of the image before it. */
  caption?: boolean;
}

/** The plain text just before and after the image inside its own block. */
export interface OwnText {
  before: string;
  after: string;
}

/**
 * A picker of context for the images of one document's blocks. A block's text may be computed on
 * first use (a getter): only the blocks next to images are ever made plain. The walks to the text
 * before and after are remembered, so a page of thousands of images stays linear.
 */
export function contextPicker(blocks: readonly ContextBlock[]): (at: number, own: OwnText) => ImageContext {
  const rows = new Map<number, number[]>();
  const headings: number[] = [];
  blocks.forEach((b, k) => {
    if (b.kind === 'heading') headings.push(k);
    if (b.group === undefined) return;
    const row = rows.get(b.group);
    if (row) row.push(k);
    else rows.set(b.group, [k]);
  });
  const text = (k: number) => (k < 0 || k >= blocks.length ? '' : (blocks[k] as ContextBlock).text);
  const isHeading = (k: number) => (blocks[k] as ContextBlock).kind === 'heading';
  /** The nearest heading at or before block k. */
  const headingOf = (k: number): number => {
    let lo = 0;
    let hi = headings.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((headings[mid] as number) <= k) [found, lo] = [headings[mid] as number, mid + 1];
      else hi = mid - 1;
    }
    return found;
  };
  // prev[k]: the nearest paragraph with text at or before k under the same heading; next[k]: the
  // nearest block with text at or after k, up to the next heading. -2: not worked out yet.
  const prev = new Int32Array(blocks.length).fill(-2);
  const next = new Int32Array(blocks.length).fill(-2);
  const walk = (memo: Int32Array, from: number, step: 1 | -1, takes: (k: number) => boolean): number => {
    const seen: number[] = [];
    let k = from;
    let found = -1;
    for (; k >= 0 && k < blocks.length; k += step) {
      if ((memo[k] as number) !== -2) {
        found = memo[k] as number;
        break;
      }
      seen.push(k);
      if (isHeading(k)) break;
      if (takes(k)) {
        found = k;
        break;
      }
    }
    for (const s of seen) memo[s] = isHeading(s) ? -1 : found;
    return found;
  };
  const paragraphBefore = (at: number) => (at > 0 && !isHeading(at) ? walk(prev, at - 1, -1, (k) => !!text(k) && (blocks[k] as ContextBlock).group === undefined) : -1);
  const anyAfter = (at: number) => walk(next, at + 1, 1, (k) => !!text(k));

  /** The text next to a block: the rest of its table row, its caption, the paragraph before or after. */
  const neighbour = (at: number): { text: string; before: boolean } => {
    const self = blocks[at] as ContextBlock;
    if (self.group !== undefined) {
      const row = (rows.get(self.group) ?? []).filter((k) => k !== at && text(k)).map(text);
      if (row.length > 0) return { text: row.join(' | '), before: false };
    }
    const following = blocks[at + 1];
    if (following?.caption && following.text) return { text: following.text, before: false };
    const before = paragraphBefore(at);
    if (before >= 0) return { text: text(before), before: true };
    return { text: text(anyAfter(at)), before: false };
  };

  return (at, own) => {
    const h = headingOf(at);
    const head = h < 0 ? '' : clipEnd(text(h), HEADING_MAX);
    const half = TEXT_MAX / 2;
    const mine = [clipStart(own.before, half), clipEnd(own.after, half)].filter(Boolean).join(' ');
    if (weight(mine) >= SHORT) return { heading: head, text: mine };
    const near = neighbour(at);
    if (!near.text) return { heading: head, text: mine };
    const room = TEXT_MAX - mine.length - 1;
    const parts = near.before ? [clipStart(near.text, room), mine] : [mine, clipEnd(near.text, room)];
    return { heading: head, text: parts.filter(Boolean).join(' ') };
  };
}

/** Length with CJK characters counted double: each says about as much as a short word. */
function weight(s: string): number {
  let n = 0;
  for (const c of s) n += /[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(c) ? 2 : 1;
  return n;
}
