// HTML documents -> their `<img>` tags, with context: the last `<h1>`-`<h6>` before each, and the text
// of the block element (p, li, td, figure, …) it is in. Comments and the content of script, style
// and other raw text elements are skipped by the tokenizer (html.ts).
import { contextPicker, type ContextBlock, type OwnText } from './context.js';
import type { DocImage, ScanNote, ScanResult } from './doc-image.js';
import { htmlTokens } from './html.js';
import { imageFromTag } from './img-tag.js';
import { plainHtml } from './plain.js';
import { LineIndex } from './positions.js';

/** Elements that start or end a block of text (anything else is inline). */
const BLOCKS = new Set(
  (
    'address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer form ' +
    'h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul'
  ).split(' '),
);

type Part = string | { image: number };

/** Characters of a block kept on each side of an image for its own text: far more than is kept in the end. */
const WINDOW = 2000;

export function scanHtml(text: string): ScanResult {
  const lines = new LineIndex(text);
  const images: DocImage[] = [];
  const notes: ScanNote[] = [];
  const blocks: ContextBlock[] = [];
  const owner: { block: number; own: OwnText }[] = [];
  let parts: Part[] = [];
  let kind: ContextBlock['kind'] = 'text';
  let caption = false;
  let inLink = 0; // depth of open <a> elements

  const flush = () => {
    const strings = parts.filter((p): p is string => typeof p === 'string');
    if (strings.some((s) => /\S/.test(s)) || parts.some((p) => typeof p !== 'string')) {
      const whole = strings.join('');
      const at = blocks.push({ kind, text: plainHtml(whole), ...(caption ? { caption } : {}) }) - 1;
      // Each image's own text: a window of the block's text on each side (a block of thousands of
      // images then costs each the same), cut where no tag is half inside it.
      let offset = 0;
      for (const p of parts) {
        if (typeof p === 'string') {
          offset += p.length;
          continue;
        }
        const lo = Math.max(0, offset - WINDOW);
        const hi = Math.min(whole.length, offset + WINDOW);
        const start = lo > 0 ? whole.indexOf('>', lo) + 1 || offset : 0;
        const end = hi < whole.length ? Math.max(offset, whole.lastIndexOf('<', hi)) : hi;
        const before = plainHtml(whole.slice(Math.min(start, offset), offset));
        const after = plainHtml(whole.slice(offset, Math.max(end, offset)));
        owner[p.image] = { block: at, own: { before, after } };
      }
    }
    parts = [];
  };

  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (const tok of htmlTokens(text, start, text.length, 'html')) {
    if (tok.type === 'text') {
      parts.push(text.slice(tok.start, tok.end));
      continue;
    }
    const name = tok.type === 'open' ? tok.tag.name.toLowerCase() : tok.name.toLowerCase();
    if (BLOCKS.has(name)) {
      flush();
      const heading = /^h[1-6]$/.test(name);
      kind = tok.type === 'open' && heading ? 'heading' : 'text';
      caption = tok.type === 'open' && name === 'figcaption';
      continue;
    }
    if (name === 'a') inLink = Math.max(0, inLink + (tok.type === 'open' ? 1 : -1));
    if (tok.type !== 'open') continue;
    const r = imageFromTag(tok.tag, 'html');
    if (!r) continue;
    const pos = lines.position(tok.tag.start);
    if ('note' in r) {
      notes.push({ ...pos, message: r.note });
      continue;
    }
    parts.push({ image: images.length });
    images.push({
      ...pos,
      offset: tok.tag.start,
      ...r.image,
      syntax: 'html',
      inLink: inLink > 0,
      ref: undefined,
      context: { heading: '', text: '' },
    });
  }
  flush();
  const pick = contextPicker(blocks);
  return {
    images: images.map((img, i) => {
      const o = owner[i];
      return o ? { ...img, context: pick(o.block, o.own) } : img;
    }),
    notes,
  };
}
