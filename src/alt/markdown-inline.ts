// Images in a block's inline content: `![alt](src "title")`, `![alt][ref]`, `![ref][]`, `![ref]`,
// and `<img>` tags, also as the text of a link. Code spans, comments, autolinks and other tags are
// stepped over whole, so what they contain is never an image; in MDX so are `{expressions}`.
import { parseCloseTag, parseOpenTag, skipMarkupDeclaration, type HtmlTag } from './html.js';
import { normalizeLabel, parseInlineTail, parseLabel, type Definition } from './markdown-refs.js';
import { skipExpression } from './mdx.js';

interface MarkdownImage {
  kind: 'markdown';
  syntax: 'inline' | 'reference' | 'collapsed' | 'shortcut';
  /** The whole image: from `!` to past its last character. */
  start: number;
  end: number;
  /** The alt text between `![` and `]`, as written. */
  altStart: number;
  altEnd: number;
  /** Where an edit of the alt text ends (past `][` for a collapsed reference) and what follows it. */
  editEnd: number;
  editAfter: string;
  dest: string;
  title: string | undefined;
  def: Definition | undefined;
  refLabel: string | undefined;
  inLink: boolean;
}

interface TagItem {
  kind: 'tag';
  tag: HtmlTag;
  inLink: boolean;
}

export type InlineItem = MarkdownImage | TagItem;

export interface InlineOptions {
  defs: ReadonlyMap<string, Definition>;
  mdx: boolean;
}

/**
 * What a scan of one block works with: its options, the `]` matching each `[`, and whether an MDX
 * `{` has failed to close (MDX would refuse the document; later ones are not tried again, which
 * keeps a block of unclosed braces linear).
 */
interface Scan extends InlineOptions {
  close: Int32Array;
  openBrace: boolean;
}

const NO_BRACKETS = new Int32Array(0);

export function scanInline(text: string, from: number, to: number, o: InlineOptions): InlineItem[] {
  const s: Scan = { ...o, close: NO_BRACKETS, openBrace: false };
  s.close = bracketMatches(text, from, to, s);
  s.openBrace = false; // the scan meets the braces in the same order, and decides the same
  return scanRange(text, from, to, s, false, []);
}

function scanRange(text: string, from: number, to: number, o: Scan, inLink: boolean, out: InlineItem[]): InlineItem[] {
  let i = from;
  while (i < to) {
    const c = text[i];
    const skip = c === '\\' ? i + 2 : c === '`' || c === '<' || (c === '{' && o.mdx) ? atomEnd(text, i, to, o) : -1;
    if (skip > i) {
      if (c === '<') {
        const tag = parseOpenTag(text, i, o.mdx ? 'jsx' : 'markdown', to);
        if (tag) out.push({ kind: 'tag', tag, inLink });
      }
      i = skip;
      continue;
    }
    if (c === '!' && text[i + 1] === '[') {
      const img = parseImage(text, i, to, o, inLink);
      if (img) {
        out.push(img);
        i = img.end;
      } else i += 2;
      continue;
    }
    if (c === '[' && !inLink) {
      const link = parseLink(text, i, to, o);
      if (link) {
        scanRange(text, i + 1, link.textEnd, o, true, out);
        i = link.end;
        continue;
      }
    }
    i++;
  }
  return out;
}

/**
 * The end of what starts at `i` and is read as one piece before any bracket: a code span, a
 * comment or declaration, a tag, an autolink, an MDX expression. -1 when nothing starts there;
 * a backtick run without its closing run is passed over as text.
 */
function atomEnd(text: string, i: number, to: number, o: Scan): number {
  const { mdx } = o;
  const c = text[i];
  if (c === '`') {
    let n = 1;
    while (text[i + n] === '`') n++;
    for (let j = text.indexOf('`'.repeat(n), i + n); j >= 0 && j + n <= to; j = text.indexOf('`'.repeat(n), j + 1)) {
      let m = n;
      while (text[j + m] === '`') m++;
      if (m === n && text[j - 1] !== '`') return j + n;
      j += m - 1;
    }
    return i + n;
  }
  if (c === '{') {
    if (o.openBrace) return -1;
    const end = skipExpression(text, i, to);
    if (end < 0) o.openBrace = true;
    return end;
  }
  const decl = skipMarkupDeclaration(text, i, to);
  if (decl >= 0) return decl;
  const tag = parseOpenTag(text, i, mdx ? 'jsx' : 'markdown', to) ?? parseCloseTag(text, i, mdx ? 'jsx' : 'markdown', to);
  if (tag) return tag.end;
  const auto = /^<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)>/.exec(text.slice(i, Math.min(to, i + 2048)));
  return auto ? i + auto[0].length : -1;
}

/**
 * For each `[` of a block, the index of the `]` that closes it (over nested and escaped brackets,
 * and past code spans, tags and autolinks, which hold no brackets), else -1. One pass for the block,
 * so a page of unmatched brackets costs no more than one of matched ones.
 */
function bracketMatches(text: string, from: number, to: number, o: Scan): Int32Array {
  const first = text.indexOf('[', from);
  if (first < 0 || first >= to) return NO_BRACKETS;
  const close = new Int32Array(to + 1).fill(-1);
  const open: number[] = [];
  for (let j = from; j < to; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '`' || c === '<' || (c === '{' && o.mdx)) {
      const end = atomEnd(text, j, to, o);
      if (end > j) j = end - 1;
      continue;
    }
    if (c === '[') open.push(j);
    else if (c === ']') {
      const at = open.pop();
      if (at !== undefined) close[at] = j;
    }
  }
  return close;
}

type Resolved = { syntax: MarkdownImage['syntax']; end: number; dest: string; title: string | undefined; def?: Definition; refLabel?: string };

/** What follows `[text]` that makes it a link or image: `(dest)`, `[ref]`, `[]`, or a defined label. */
function resolveTail(text: string, close: number, to: number, o: Scan, label: string): Resolved | undefined {
  if (text[close + 1] === '(') {
    const tail = parseInlineTail(text, close + 1, to);
    if (tail) return { syntax: 'inline', end: tail.end, dest: tail.dest, title: tail.title };
  }
  if (text[close + 1] === '[' && text[close + 2] === ']') {
    const def = o.defs.get(normalizeLabel(label));
    return def ? { syntax: 'collapsed', end: close + 3, dest: def.dest, title: def.title, def, refLabel: label } : undefined;
  }
  const ref = text[close + 1] === '[' ? parseLabel(text, close + 1, to) : undefined;
  if (ref) {
    const def = o.defs.get(normalizeLabel(ref.raw));
    return def ? { syntax: 'reference', end: ref.end, dest: def.dest, title: def.title, def, refLabel: ref.raw } : undefined;
  }
  const def = label.length <= 999 ? o.defs.get(normalizeLabel(label)) : undefined;
  return def ? { syntax: 'shortcut', end: close + 1, dest: def.dest, title: def.title, def, refLabel: label } : undefined;
}

function parseImage(text: string, at: number, to: number, o: Scan, inLink: boolean): MarkdownImage | undefined {
  const close = o.close[at + 1] ?? -1;
  if (close < 0 || close >= to) return undefined;
  const alt = text.slice(at + 2, close);
  const r = resolveTail(text, close, to, o, alt);
  if (!r) return undefined;
  // A collapsed or shortcut reference's alt is also its label: an edit writes the label after it.
  const labelKept = `][${alt.replace(/\s+/g, ' ')}`;
  return {
    kind: 'markdown',
    syntax: r.syntax,
    start: at,
    end: r.end,
    altStart: at + 2,
    altEnd: close,
    editEnd: r.syntax === 'collapsed' ? close + 2 : close,
    editAfter: r.syntax === 'collapsed' || r.syntax === 'shortcut' ? labelKept : '',
    dest: r.dest,
    title: r.title,
    def: r.def,
    refLabel: r.refLabel,
    inLink,
  };
}

function parseLink(text: string, at: number, to: number, o: Scan): { textEnd: number; end: number } | undefined {
  const close = o.close[at] ?? -1;
  if (close < 0 || close >= to) return undefined;
  const r = resolveTail(text, close, to, o, text.slice(at + 1, close));
  return r ? { textEnd: close, end: r.end } : undefined;
}
