// One `<img>` tag -> what the scan reports about it: source, alt, title and where the alt text is
// written, or a note when the tag cannot be handled from the text alone (an MDX expression).
import type { AltTarget } from './doc-image.js';
import { decodeEntities } from './entities.js';
import { findAttr, type HtmlAttr, type HtmlTag, type TagMode } from './html.js';
import { literalOf } from './mdx.js';

interface TagImage {
  src: string;
  url: string;
  alt: string | undefined;
  title: string | undefined;
  target: AltTarget;
}

export type TagResult = { image: TagImage } | { note: string } | undefined;

export function isImgTag(tag: HtmlTag, mode: TagMode): boolean {
  // In JSX a capitalised name is a component (<Img>), only lowercase `img` is the element.
  return mode === 'jsx' ? tag.name === 'img' : tag.name.toLowerCase() === 'img';
}

/** The image an `<img>` tag shows, a note when it is skipped, or undefined for other tags. */
export function imageFromTag(tag: HtmlTag, mode: TagMode): TagResult {
  if (!isImgTag(tag, mode)) return undefined;
  const srcAttr = findAttr(tag, 'src', mode);
  if (!srcAttr?.value) {
    const spread = tag.attrs.some((a) => a.name === '');
    return { note: spread ? '<img {...}>: its source comes from an expression; skipped' : '<img> without a src; skipped' };
  }
  const src = attrText(srcAttr);
  if (src === undefined) return { note: '<img src={…}>: the source is an expression, not a literal; skipped' };
  const altAttr = findAttr(tag, 'alt', mode);
  let alt: string | undefined;
  let target: AltTarget;
  if (!altAttr) {
    target = { syntax: 'html', start: tag.insertAt, end: tag.insertAt, before: ' alt="', after: '"' };
  } else if (!altAttr.value) {
    alt = '';
    target = { syntax: 'html', start: altAttr.nameEnd, end: altAttr.nameEnd, before: '="', after: '"' };
  } else {
    alt = attrText(altAttr)?.text;
    if (alt === undefined) return { note: '<img alt={…}>: the alt text is an expression; left as it is' };
    const { start, end } = altAttr.value;
    target = altAttr.value.kind === 'expression' ? { syntax: 'jsx', start, end } : { syntax: 'html', start, end, before: '"', after: '"' };
  }
  const titleAttr = findAttr(tag, 'title', mode);
  const title = titleAttr ? attrText(titleAttr)?.text : undefined;
  return { image: { src: src.raw, url: src.text.trim(), alt, title, target } };
}

/** The text of an attribute's value as written and as read; undefined for a non-literal expression. */
function attrText(a: HtmlAttr): { raw: string; text: string } | undefined {
  const v = a.value;
  if (!v) return { raw: '', text: '' };
  if (v.kind === 'expression') {
    const lit = literalOf(v.raw);
    return lit === undefined ? undefined : { raw: lit, text: lit };
  }
  return { raw: v.raw, text: decodeEntities(v.raw) };
}
