// HTML tags as three readers see them: a browser reading an HTML file (lenient), CommonMark
// reading raw HTML inside Markdown (strict: anything else is text), and MDX reading JSX (values
// may be `{expressions}`, names are case-sensitive). Positions are offsets into the given text.
import { skipExpression } from './mdx.js';

export type TagMode = 'html' | 'markdown' | 'jsx';

interface AttrValue {
  kind: 'quoted' | 'unquoted' | 'expression';
  /** The value as written, without its quotes (with its braces for an expression). */
  raw: string;
  /** The value's range including its quotes or braces. */
  start: number;
  end: number;
}

export interface HtmlAttr {
  name: string;
  nameStart: number;
  nameEnd: number;
  /** Undefined for a bare attribute (`<img alt>`). A JSX spread `{...p}` has name '' and an expression. */
  value: AttrValue | undefined;
}

export interface HtmlTag {
  name: string;
  start: number;
  /** Just past the `>`. */
  end: number;
  /** Just past the name, or past the last attribute when there are any: where a new one goes. */
  insertAt: number;
  attrs: HtmlAttr[];
}

const NAME: Record<TagMode, RegExp> = {
  html: /[A-Za-z][^\s/>\0]*/y,
  markdown: /[A-Za-z][A-Za-z0-9-]*/y,
  jsx: /[A-Za-z_$][\w$.:-]*/y,
};
const ATTR_NAME: Record<TagMode, RegExp> = {
  html: /[^\s"'>/=\0][^\s"'>/=\0]*/y,
  markdown: /[A-Za-z_:][\w.:-]*/y,
  jsx: /[A-Za-z_$:][\w$:.-]*/y,
};
const UNQUOTED: Record<TagMode, RegExp | undefined> = { html: /[^\s>]+/y, markdown: /[^\s"'=<>`]+/y, jsx: undefined };
/** HTML's and JSX's whitespace between attributes (space, tab, line endings, form feed). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

function matchAt(re: RegExp, text: string, i: number, to: number): string | undefined {
  re.lastIndex = i;
  const m = re.exec(text);
  return m && i + m[0].length <= to ? m[0] : undefined;
}

/**
 * The start tag at `at` (which holds `<`), or undefined when there is none there in this mode;
 * null when the text ends inside what would be a tag (an unclosed quote, no `>`).
 */
export function parseOpenTag(text: string, at: number, mode: TagMode, to = text.length): HtmlTag | undefined | null {
  if (text[at] !== '<') return undefined;
  const name = matchAt(NAME[mode], text, at + 1, to);
  if (!name) return undefined;
  let i = at + 1 + name.length;
  const tag: HtmlTag = { name, start: at, end: -1, insertAt: i, attrs: [] };
  for (;;) {
    const spaceFrom = i;
    while (i < to && isSpace(text.charCodeAt(i))) i++;
    if (i >= to) return null;
    const c = text[i];
    if (c === '>') return { ...tag, end: i + 1 };
    if (c === '/' && text[i + 1] === '>') return { ...tag, end: i + 2 };
    if (c === '/' && mode === 'html') {
      i++; // a stray slash between attributes: browsers ignore it
      continue;
    }
    if (i === spaceFrom && mode !== 'html') return undefined; // attributes must be separated by space
    if (mode === 'jsx' && c === '{') {
      const end = skipExpression(text, i, to);
      if (end < 0) return null;
      tag.attrs.push({ name: '', nameStart: i, nameEnd: i, value: { kind: 'expression', raw: text.slice(i, end), start: i, end } });
      i = tag.insertAt = end;
      continue;
    }
    const attrName = matchAt(ATTR_NAME[mode], text, i, to);
    if (!attrName) return undefined;
    if (i + attrName.length >= to) return null;
    const attr: HtmlAttr = { name: attrName, nameStart: i, nameEnd: i + attrName.length, value: undefined };
    i = tag.insertAt = attr.nameEnd;
    let j = i;
    while (j < to && isSpace(text.charCodeAt(j))) j++;
    if (text[j] === '=') {
      j++;
      while (j < to && isSpace(text.charCodeAt(j))) j++;
      if (j >= to) return null;
      const value = parseValue(text, j, mode, to);
      if (!value) return value;
      attr.value = value;
      i = tag.insertAt = value.end;
    }
    tag.attrs.push(attr);
  }
}

function parseValue(text: string, j: number, mode: TagMode, to: number): AttrValue | undefined | null {
  const q = text[j];
  if (q === '"' || q === "'") {
    const close = text.indexOf(q, j + 1);
    if (close < 0 || close >= to) return null;
    return { kind: 'quoted', raw: text.slice(j + 1, close), start: j, end: close + 1 };
  }
  if (q === '{' && mode === 'jsx') {
    const end = skipExpression(text, j, to);
    return end < 0 ? null : { kind: 'expression', raw: text.slice(j, end), start: j, end };
  }
  const re = UNQUOTED[mode];
  const raw = re ? matchAt(re, text, j, to) : undefined;
  return raw ? { kind: 'unquoted', raw, start: j, end: j + raw.length } : undefined;
}

/** The end tag at `at`: its name and the index past its `>`. */
export function parseCloseTag(text: string, at: number, mode: TagMode, to = text.length): { name: string; end: number } | undefined {
  if (text[at] !== '<' || text[at + 1] !== '/') return undefined;
  const name = matchAt(NAME[mode], text, at + 2, to);
  if (!name) return undefined;
  let i = at + 2 + name.length;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  return text[i] === '>' ? { name, end: i + 1 } : undefined;
}

/** The index past a comment, doctype or processing instruction at `at`, or -1 when there is none. */
export function skipMarkupDeclaration(text: string, at: number, to = text.length): number {
  if (text.startsWith('<!--', at)) {
    // `<!-->` and `<!--->` are (empty) comments too.
    if (text.startsWith('>', at + 4)) return at + 5;
    if (text.startsWith('->', at + 4)) return at + 6;
    const close = text.indexOf('-->', at + 4);
    return close < 0 || close + 3 > to ? -1 : close + 3;
  }
  if (text.startsWith('<![CDATA[', at)) {
    const close = text.indexOf(']]>', at + 9);
    return close < 0 || close + 3 > to ? -1 : close + 3;
  }
  if (text[at + 1] === '?' || (text[at + 1] === '!' && /[A-Za-z]/.test(text[at + 2] ?? ''))) {
    const close = text.indexOf('>', at + 2);
    return close < 0 || close + 1 > to ? -1 : close + 1;
  }
  return -1;
}

export type HtmlToken = { type: 'text'; start: number; end: number } | { type: 'open'; tag: HtmlTag } | { type: 'close'; name: string; start: number; end: number };

/** Elements whose content is text to a browser: an `<img` there is not an image. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes']);

/**
 * The tags and text of a stretch of HTML, in order. Comments, declarations and the content of raw
 * text elements (`<script>`, `<style>`, …) are skipped; an unclosed comment runs to the end.
 */
export function* htmlTokens(text: string, from: number, to: number, mode: TagMode): Generator<HtmlToken> {
  let i = from;
  let textStart = from;
  const flush = function* (end: number): Generator<HtmlToken> {
    if (end > textStart) yield { type: 'text', start: textStart, end };
  };
  while (i < to) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt >= to) break;
    const skipped = skipMarkupDeclaration(text, lt, to);
    if (skipped >= 0 || text.startsWith('<!--', lt)) {
      yield* flush(lt);
      i = textStart = skipped >= 0 ? skipped : to;
      continue;
    }
    const close = parseCloseTag(text, lt, mode, to);
    if (close) {
      yield* flush(lt);
      yield { type: 'close', name: close.name, start: lt, end: close.end };
      i = textStart = close.end;
      continue;
    }
    const tag = parseOpenTag(text, lt, mode, to);
    // A browser ends the document inside that tag: nothing after it is markup.
    if (tag === null && mode === 'html') break;
    if (!tag) {
      i = lt + 1;
      continue;
    }
    yield* flush(lt);
    yield { type: 'open', tag };
    i = textStart = tag.end;
    const lower = tag.name.toLowerCase();
    if (RAW_TEXT.has(lower) && mode !== 'jsx') {
      const endTag = new RegExp(`</${lower}[\\s/>]`, 'ig');
      endTag.lastIndex = i;
      const m = endTag.exec(text);
      i = textStart = m && m.index < to ? m.index : to;
    }
  }
  yield* flush(to);
}

/** An attribute by name: any case in HTML, exactly in JSX. */
export function findAttr(tag: HtmlTag, name: string, mode: TagMode): HtmlAttr | undefined {
  return tag.attrs.find((a) => (mode === 'jsx' ? a.name === name : a.name.toLowerCase() === name));
}

/** The text a reader sees in a stretch of HTML: its text tokens, without script, style or comments. */
export function visibleText(text: string, mode: TagMode = 'html'): string {
  const out: string[] = [];
  for (const tok of htmlTokens(text, 0, text.length, mode)) out.push(tok.type === 'text' ? text.slice(tok.start, tok.end) : ' ');
  return out.join('');
}
