// The text around an image, for the prompt: the nearest heading above it, and the paragraph (list
// item, table cell) it is in, or, when it stands alone, the nearest paragraph before it under the
// same heading, else the one after it. Bounded, so a long page costs a few hundred characters.
import type { ImageContext } from './doc-image.js';
import { clipEnd, clipStart } from './plain.js';

export const HEADING_MAX = 200;
export const TEXT_MAX = 600;
/** Own text shorter than this (`and`, a list item's few words) is helped by the paragraph next to it. */
const SHORT = 24;

export interface ContextBlock {
  kind: 'heading' | 'text';
  /** Plain text of the block without any of its images. */
  text: string;
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

export function pickContext(blocks: readonly ContextBlock[], at: number, own: OwnText): ImageContext {
  let heading = '';
  for (let k = at; k >= 0; k--) {
    const b = blocks[k] as ContextBlock;
    if (b.kind === 'heading') {
      heading = clipEnd(b.text, HEADING_MAX);
      break;
    }
  }
  const half = TEXT_MAX / 2;
  const mine = [clipStart(own.before, half), clipEnd(own.after, half)].filter(Boolean).join(' ');
  if (weight(mine) >= SHORT) return { heading, text: mine };
  const near = neighbour(blocks, at);
  if (!near.text) return { heading, text: mine };
  const room = TEXT_MAX - mine.length - 1;
  const text = near.before ? [clipStart(near.text, room), mine] : [mine, clipEnd(near.text, room)];
  return { heading, text: text.filter(Boolean).join(' ') };
}

/** Length with CJK characters counted double: each says about as much as a short word. */
function weight(s: string): number {
  let n = 0;
  for (const c of s) n += /[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(c) ? 2 : 1;
  return n;
}

/** The text next to a block: the rest of its table row, its caption, the paragraph before or after. */
function neighbour(blocks: readonly ContextBlock[], at: number): { text: string; before: boolean } {
  const self = blocks[at];
  if (self?.group !== undefined) {
    const row = blocks.filter((b, k) => k !== at && b.group === self.group && b.text).map((b) => b.text);
    if (row.length > 0) return { text: row.join(' | '), before: false };
  }
  const next = blocks[at + 1];
  if (next?.caption && next.text) return { text: next.text, before: false };
  if (self?.kind !== 'heading') {
    for (let k = at - 1; k >= 0; k--) {
      const b = blocks[k] as ContextBlock;
      if (b.kind === 'heading') break;
      if (b.text && b.group === undefined) return { text: b.text, before: true };
    }
  }
  for (let k = at + 1; k < blocks.length; k++) {
    const b = blocks[k] as ContextBlock;
    if (b.kind === 'heading') break;
    if (b.text) return { text: b.text, before: false };
  }
  return { text: '', before: false };
}
