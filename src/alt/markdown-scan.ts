// Markdown and MDX documents -> their images, with positions, alt texts, edit targets and context.
// Blocks first (markdown-blocks.ts), then the reference definitions of the whole document (a
// definition may come long after its use), then each block's inline content.
import { contextPicker, type ContextBlock, type OwnText } from './context.js';
import type { DocImage, ScanNote, ScanResult } from './doc-image.js';
import { decodeMarkdown } from './entities.js';
import { Flow } from './flow.js';
import { htmlTokens, visibleText } from './html.js';
import { imageFromTag, isImgTag } from './img-tag.js';
import { markdownBlocks, type Leaf } from './markdown-blocks.js';
import { scanInline, type InlineItem } from './markdown-inline.js';
import { normalizeLabel, parseDefinitions, type Definition } from './markdown-refs.js';
import { plainHtml, plainMarkdown } from './plain.js';
import { LineIndex } from './positions.js';

/** Stands for the image itself in a block's text while the text around it is made plain. */
const HERE = '\uE000';

type Span = { start: number; end: number };

interface Block {
  leaf: Leaf;
  flow: Flow;
  /** Where the content starts in flow.text (after any reference definitions). */
  from: number;
}

export function scanMarkdown(text: string, mdx: boolean): ScanResult {
  const lines = new LineIndex(text);
  const defs = new Map<string, Definition & { line: number }>();
  const blocks: Block[] = markdownBlocks(text, mdx).map((leaf) => {
    const flow = new Flow(text, leaf.segs);
    if (leaf.type !== 'paragraph') return { leaf, flow, from: 0 };
    const found = parseDefinitions(flow.text);
    for (const d of found.defs) {
      const key = normalizeLabel(d.label);
      if (!defs.has(key)) defs.set(key, { ...d, line: lines.line(flow.toDoc(d.start)) }); // the first one wins
    }
    return { leaf, flow, from: found.end };
  });

  const notes: ScanNote[] = [];
  const context: ContextBlock[] = [];
  const found: { image: DocImage; block: number; own: OwnText }[] = [];
  blocks.forEach((b, k) => {
    const { leaf, flow } = b;
    const t = flow.text;
    const items: InlineItem[] =
      leaf.type === 'html'
        ? [...htmlTokens(t, 0, t.length, 'html')].flatMap((tok) => (tok.type === 'open' ? [{ kind: 'tag' as const, tag: tok.tag, inLink: false }] : []))
        : scanInline(t, b.from, t.length, { defs, mdx });
    const spans: Span[] = [];
    const mine: { image: DocImage; span: Span }[] = [];
    for (const item of items) {
      if (item.kind === 'tag' && !isImgTag(item.tag, mdx ? 'jsx' : 'markdown')) continue;
      const span = item.kind === 'tag' ? { start: item.tag.start, end: item.tag.end } : { start: item.start, end: item.end };
      spans.push(span);
      const image = item.kind === 'markdown' ? markdownImage(item, flow, lines, leaf, mdx, defs) : tagImage(item, flow, lines, mdx, notes);
      if (image) mine.push({ image, span });
    }
    const plain = (s: string) => (leaf.type === 'html' ? plainHtml(visibleText(s)) : plainMarkdown(s, mdx));
    let made: string | undefined;
    context.push({
      kind: leaf.type === 'heading' ? 'heading' : 'text',
      get text() {
        return (made ??= plain(mask(t, spans, b.from)));
      },
      group: leaf.row,
    });
    for (const { image, span } of mine) {
      const [before = '', after = ''] = plain(window(t, spans, b.from, span, leaf.type === 'html')).split(HERE);
      found.push({ image, block: k, own: { before: before.trim(), after: after.trim() } });
    }
  });
  const pick = contextPicker(context);
  const images = found.map((f) => ({ ...f.image, context: pick(f.block, f.own) }));
  images.sort((a, b) => a.offset - b.offset);
  return { images, notes };
}

/** Characters of a block kept on each side of an image for its own text: far more than is kept in the end. */
const WINDOW = 2000;

/** The block's content from `from` to `to` with every image blanked out, and `here` (if given) marked. */
function mask(t: string, spans: readonly Span[], from: number, here?: Span, to = t.length): string {
  let out = '';
  let at = from;
  // Spans are in order: start at the first one that can be inside [from, to).
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((spans[mid] as Span).start < from) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < spans.length; k++) {
    const s = spans[k] as Span;
    if (s.start >= to) break;
    if (s.start < at || s.end > to) continue;
    out += t.slice(at, s.start) + (s === here ? ` ${HERE} ` : ' ');
    at = s.end;
  }
  return out + t.slice(at, to);
}

/**
 * The masked text around one image, at most WINDOW characters each side: a block of hundreds of
 * images (a contributors table) then costs each image the same. In HTML the window does not start
 * or end inside a tag.
 */
function window(t: string, spans: readonly Span[], from: number, here: Span, html: boolean): string {
  let lo = Math.max(from, here.start - WINDOW);
  let hi = Math.min(t.length, here.end + WINDOW);
  if (html && lo > from) lo = Math.min(here.start, t.indexOf('>', lo) + 1 || here.start);
  if (html && hi < t.length) hi = Math.max(here.end, t.lastIndexOf('<', hi));
  return mask(t, spans, lo, here, hi);
}

function markdownImage(
  item: Extract<InlineItem, { kind: 'markdown' }>,
  flow: Flow,
  lines: LineIndex,
  leaf: Leaf,
  mdx: boolean,
  defs: ReadonlyMap<string, Definition & { line: number }>,
): DocImage {
  const offset = flow.toDoc(item.start);
  const def = item.def ? defs.get(normalizeLabel(item.def.label)) : undefined;
  return {
    ...lines.position(offset),
    offset,
    src: item.dest,
    url: decodeMarkdown(item.dest),
    alt: plainMarkdown(flow.text.slice(item.altStart, item.altEnd), mdx, ''),
    title: item.title === undefined ? undefined : decodeMarkdown(item.title),
    syntax: item.syntax,
    inLink: item.inLink,
    ref: item.refLabel !== undefined && def ? { label: item.refLabel, line: def.line } : undefined,
    target: {
      syntax: 'markdown',
      start: flow.toDoc(item.altStart),
      end: flow.toDoc(item.editEnd),
      after: item.editAfter,
      inTable: leaf.type === 'cell',
      mdx,
    },
    context: { heading: '', text: '' },
  };
}

function tagImage(item: Extract<InlineItem, { kind: 'tag' }>, flow: Flow, lines: LineIndex, mdx: boolean, notes: ScanNote[]): DocImage | undefined {
  const r = imageFromTag(item.tag, mdx ? 'jsx' : 'html');
  if (!r) return undefined;
  const offset = flow.toDoc(item.tag.start);
  if ('note' in r) {
    notes.push({ ...lines.position(offset), message: r.note });
    return undefined;
  }
  const t = r.image.target;
  return {
    ...lines.position(offset),
    offset,
    src: r.image.src,
    url: r.image.url,
    alt: r.image.alt,
    title: r.image.title,
    syntax: 'html',
    inLink: item.inLink,
    ref: undefined,
    target: { ...t, start: flow.toDoc(t.start), end: flow.toDoc(t.end) },
    context: { heading: '', text: '' },
  };
}
