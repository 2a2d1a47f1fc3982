// What one line of Markdown starts, read as CommonMark 0.31 and GFM tables do. Each recogniser
// takes the line's text from its first non-space character (at most 3 columns of indent). Pure.
import { parseCloseTag, parseOpenTag } from './html.js';

export interface Fence {
  char: '`' | '~';
  length: number;
}

/** An opening code fence: 3+ backticks (no backtick in the info string) or 3+ tildes. */
export function openingFence(line: string): Fence | undefined {
  const m = /^(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m) return undefined;
  const run = m[1] as string;
  if (run[0] === '`' && (m[2] as string).includes('`')) return undefined;
  return { char: run[0] as '`' | '~', length: run.length };
}

export function closesFence(line: string, fence: Fence): boolean {
  const m = /^(`+|~+)[ \t]*$/.exec(line);
  return !!m && (m[1] as string)[0] === fence.char && (m[1] as string).length >= fence.length;
}

/** `# Heading #`: the offsets of its content within the line, or undefined. */
export function atxHeading(line: string): { start: number; end: number } | undefined {
  const m = /^(#{1,6})(?:[ \t]+|$)/.exec(line);
  if (!m) return undefined;
  let end = line.length;
  const closing = /(?:^|[ \t])#+[ \t]*$/.exec(line.slice(m[0].length));
  if (closing) end = m[0].length + closing.index;
  while (end > m[0].length && /[ \t]/.test(line[end - 1] as string)) end--;
  return { start: m[0].length, end: Math.max(m[0].length, end) };
}

export function isThematicBreak(line: string): boolean {
  return /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/.test(line);
}

export function setextUnderline(line: string): boolean {
  return /^(?:=+|-+)[ \t]*$/.test(line);
}

export interface ListMarker {
  /** Characters of the marker itself (`-`, `10.`). */
  width: number;
  ordered: boolean;
  start: number;
  /** Nothing after the marker on this line. */
  empty: boolean;
}

export function listMarker(line: string): ListMarker | undefined {
  const m = /^(?:([-+*])|(\d{1,9})[.)])(?=[ \t]|$)/.exec(line);
  if (!m) return undefined;
  return { width: m[0].length, ordered: m[1] === undefined, start: m[2] ? Number(m[2]) : 1, empty: /^[ \t]*$/.test(line.slice(m[0].length)) };
}

/** HTML block kinds 1-7 of CommonMark; each ends differently (see htmlBlockEnds). */
export type HtmlBlockKind = 1 | 2 | 3 | 4 | 5 | 6 | 7;

const BLOCK_TAGS =
  'address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|' +
  'fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|' +
  'menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul';
const KIND6 = new RegExp(`^</?(?:${BLOCK_TAGS})(?:[ \\t]|/?>|$)`, 'i');

/** The HTML block a line starts, if any. Kind 7 (any other lone tag) cannot interrupt a paragraph. */
export function htmlBlockStart(line: string, inParagraph: boolean): HtmlBlockKind | undefined {
  if (/^<(?:pre|script|style|textarea)(?:[ \t>]|$)/i.test(line)) return 1;
  if (line.startsWith('<!--')) return 2;
  if (line.startsWith('<?')) return 3;
  if (/^<![A-Za-z]/.test(line)) return 4;
  if (line.startsWith('<![CDATA[')) return 5;
  if (KIND6.test(line)) return 6;
  if (inParagraph) return undefined;
  // Open tags of pre, script, style and textarea were kind 1 above; a lone `</pre>` is kind 7, as
  // the reference parsers read it.
  const tag = parseOpenTag(line, 0, 'markdown') ?? parseCloseTag(line, 0, 'markdown');
  if (tag && /^[ \t]*$/.test(line.slice(tag.end))) return 7;
  return undefined;
}

/** Whether the HTML block ends on this line (kinds 1-5); kinds 6 and 7 end before a blank line. */
export function htmlBlockEnds(kind: HtmlBlockKind, line: string): boolean {
  switch (kind) {
    case 1:
      return /<\/(?:pre|script|style|textarea)>/i.test(line);
    case 2:
      return line.indexOf('-->', line.startsWith('<!--') ? 2 : 0) >= 0;
    case 3:
      return line.includes('?>');
    case 4:
      return line.includes('>');
    case 5:
      return line.includes(']]>');
    default:
      return false;
  }
}

/**
 * A GFM table's cells: offsets of each cell's trimmed content within the line. The pipes that
 * split cells are the unescaped ones (also inside code spans, as GFM does).
 */
export function tableCells(line: string): { start: number; end: number }[] {
  const bounds: number[] = [-1];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') bounds.push(i);
  }
  bounds.push(line.length);
  const cells: { start: number; end: number }[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    let s = (bounds[k] as number) + 1;
    let e = bounds[k + 1] as number;
    while (s < e && /[ \t]/.test(line[s] as string)) s++;
    while (e > s && /[ \t]/.test(line[e - 1] as string)) e--;
    cells.push({ start: s, end: e });
  }
  // A leading or trailing pipe opens or closes the row; it does not make an empty cell.
  if (/^[ \t]*\|/.test(line)) cells.shift();
  if (/\|[ \t]*$/.test(line.replace(/\\\|/g, '')) && cells.length > 0) cells.pop();
  return cells;
}

/** The delimiter row under a table's header (`| --- | :-: |`): its cell count, or 0. */
export function delimiterCells(line: string): number {
  if (!/^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/.test(line) || !line.includes('-')) return 0;
  if (!line.includes('|') && !/:/.test(line)) return 0; // `---` alone is a setext underline or a break
  return tableCells(line).length;
}

/** A place in a line: its offset and its column (tabs stop every 4 columns, as CommonMark has it). */
export interface Cursor {
  pos: number;
  col: number;
}

/** The whitespace at a cursor: its width in columns (tabs to multiples of 4) and where it ends. */
export function indent(text: string, c: Cursor, le: number): { width: number; pos: number; col: number } {
  let { pos, col } = c;
  for (; pos < le; pos++) {
    if (text[pos] === ' ') col++;
    else if (text[pos] === '\t') col += 4 - (col % 4);
    else break;
  }
  return { width: col - c.col, pos, col };
}

/** Moves past `n` columns of whitespace (a tab that straddles the mark is taken whole). */
export function consume(text: string, c: Cursor, n: number, le: number): Cursor {
  let { pos, col } = c;
  const target = c.col + n;
  while (pos < le && col < target && (text[pos] === ' ' || text[pos] === '\t')) {
    col = text[pos] === '\t' ? col + 4 - (col % 4) : col + 1;
    pos++;
  }
  return { pos, col };
}

/** Only spaces and tabs between from and to. */
export function blankFrom(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Whether a line that does not continue its containers (or a table) starts a block of its own. */
export function startsBlock(text: string, c: Cursor, le: number, mdx: boolean): boolean {
  const ind = indent(text, c, le);
  if (ind.width > 3) return false;
  const line = text.slice(ind.pos, le);
  if (line === '' || line[0] === '>' || isThematicBreak(line) || openingFence(line) || atxHeading(line)) return true;
  // Any list marker: what cannot interrupt a paragraph (`2.`, an empty item) still starts an item of
  // the list the line would otherwise be a lazy continuation in.
  if (listMarker(line)) return true;
  const kind = htmlBlockStart(line, true);
  return kind !== undefined && !(mdx && kind !== 2);
}

/** Where the line that `from` is on ends (before its \n, \r\n or \r). */
export function lineEndAt(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}
