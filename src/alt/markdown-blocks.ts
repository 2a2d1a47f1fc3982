// The block structure of a Markdown or MDX document, as far as finding images needs it: which lines
// hold inline content (paragraphs, headings, table cells), which hold raw HTML, and which are code
// (dropped). Block quotes and list items are followed as CommonMark does, so an image indented under
// a list item is not mistaken for an indented code block, and lazy continuation lines stay in their
// paragraph. MDX has no indented code and no HTML blocks (its tags are JSX, its `{…}` and
// import/export lines are code). Pure: offsets in, offsets out.
import { skipExpression } from './mdx.js';
import * as L from './markdown-lines.js';
import { blankFrom, consume, indent, lineEndAt, startsBlock, type Cursor } from './markdown-lines.js';

/** One line's share of a block: the document range of its content, after quote and list prefixes. */
export interface Seg {
  start: number;
  end: number;
}

export interface Leaf {
  type: 'paragraph' | 'heading' | 'cell' | 'html';
  segs: Seg[];
  /** Table cells of the same row share a number. */
  row?: number;
}

/** `blank`: the item's marker line had nothing after it, and no line has yet: it may take one blank line. */
type Container = { kind: 'quote' } | { kind: 'item'; indent: number; blank: boolean };
type Open =
  | { type: 'paragraph'; segs: Seg[] }
  | { type: 'table'; columns: number }
  | { type: 'fence'; fence: L.Fence }
  | { type: 'code' }
  | { type: 'html'; kind: L.HtmlBlockKind; segs: Seg[] }
  | { type: 'esm' };

export function markdownBlocks(text: string, mdx: boolean): Leaf[] {
  const leaves: Leaf[] = [];
  const stack: Container[] = [];
  let open: Open | undefined;
  let rows = 0;
  let skipTo = -1; // the end of an MDX expression block that spans lines
  let openBrace = false; // an MDX `{` block never closed: later ones are not tried (MDX would refuse it)

  const close = () => {
    if (open?.type === 'paragraph' && open.segs.length > 0) leaves.push({ type: 'paragraph', segs: open.segs });
    if (open?.type === 'html') leaves.push({ type: 'html', segs: open.segs });
    open = undefined;
  };

  for (let ls = 0; ls < text.length; ) {
    let le = ls;
    while (le < text.length && text[le] !== '\n' && text[le] !== '\r') le++;
    const next = text[le] === '\r' && text[le + 1] === '\n' ? le + 2 : le + 1;
    const lineStart = ls;
    ls = next;
    if (lineStart < skipTo) continue;
    // A BOM is not part of the first line's content.
    let c: Cursor = { pos: lineStart === 0 && text.charCodeAt(0) === 0xfeff ? 1 : lineStart, col: 0 };
    const rest = (k: Cursor) => text.slice(k.pos, le);
    const isBlank = (k: Cursor) => blankFrom(text, k.pos, le);

    // 1. Which open containers does this line continue?
    let matched = 0;
    for (const box of stack) {
      const ind = indent(text, c, le);
      if (box.kind === 'quote') {
        if (ind.width > 3 || text[ind.pos] !== '>') break;
        c = { pos: ind.pos + 1, col: ind.col + 1 };
        if (text[c.pos] === ' ' || text[c.pos] === '\t') c = consume(text, c, 1, le);
      } else if (isBlank(c)) {
        // A blank line continues a list item, unless the item has only had blank lines so far.
        if (box.blank) break;
      } else if (ind.width >= box.indent) {
        c = consume(text, c, box.indent, le);
        box.blank = false;
      } else break;
      matched++;
    }
    const all = matched === stack.length;

    // 2. Blocks that own their lines: code and HTML run until they end.
    if (all && open?.type === 'fence') {
      const ind = indent(text, c, le);
      if (ind.width <= 3 && L.closesFence(text.slice(ind.pos, le), open.fence)) open = undefined;
      continue;
    }
    if (all && open?.type === 'html') {
      if (open.kind >= 6 && isBlank(c)) {
        close();
        continue;
      }
      open.segs.push({ start: c.pos, end: le });
      if (L.htmlBlockEnds(open.kind, rest(c))) close();
      continue;
    }
    if (all && open?.type === 'esm') {
      if (isBlank(c)) open = undefined;
      continue;
    }

    // 3. A lazy continuation line keeps its paragraph even where its containers do not continue.
    if (!all && open?.type === 'paragraph' && !isBlank(c) && !startsBlock(text, c, le, mdx)) {
      const ind = indent(text, c, le);
      open.segs.push({ start: ind.pos, end: le });
      continue;
    }
    if (!all) {
      close();
      stack.length = matched;
    }

    // 4. New block quotes and list items.
    for (;;) {
      const ind = indent(text, c, le);
      if (ind.width > 3) break;
      const line = text.slice(ind.pos, le);
      if (line[0] === '>') {
        close();
        stack.push({ kind: 'quote' });
        c = { pos: ind.pos + 1, col: ind.col + 1 };
        if (text[c.pos] === ' ' || text[c.pos] === '\t') c = consume(text, c, 1, le);
        continue;
      }
      if (L.isThematicBreak(line)) break;
      const m = L.listMarker(line);
      if (!m) break;
      if (open?.type === 'paragraph' && (m.empty || (m.ordered && m.start !== 1))) break; // cannot interrupt a paragraph
      close();
      const after: Cursor = { pos: ind.pos + m.width, col: ind.col + m.width };
      const sp = indent(text, after, le);
      const spaces = m.empty ? 1 : sp.width >= 5 ? 1 : sp.width;
      stack.push({ kind: 'item', indent: ind.width + m.width + spaces, blank: m.empty });
      c = m.empty ? { pos: le, col: after.col + 1 } : consume(text, after, spaces, le);
    }

    // 5. The leaf block this line is part of.
    if (isBlank(c)) {
      if (open?.type !== 'code') close();
      continue;
    }
    const ind = indent(text, c, le);
    if (!mdx && ind.width >= 4 && open?.type !== 'paragraph') {
      if (open?.type !== 'code') close();
      open = { type: 'code' };
      continue;
    }
    if (open?.type === 'code') open = undefined;
    // Four columns in, nothing starts a block: the line continues its paragraph (or, in MDX, is one).
    if (ind.width >= 4) {
      if (open?.type === 'paragraph') open.segs.push({ start: ind.pos, end: le });
      else {
        close();
        open = { type: 'paragraph', segs: [{ start: ind.pos, end: le }] };
      }
      continue;
    }
    const line = text.slice(ind.pos, le);
    if (open?.type === 'paragraph') {
      if (L.setextUnderline(line)) {
        leaves.push({ type: 'heading', segs: open.segs });
        open = undefined;
        continue;
      }
      const header = open.segs[open.segs.length - 1] as Seg;
      const columns = L.delimiterCells(line);
      if (columns > 0 && L.tableCells(text.slice(header.start, header.end)).length === columns) {
        open.segs.pop();
        close();
        pushRow(text, header, leaves, rows++);
        open = { type: 'table', columns };
        continue;
      }
    }
    if (open?.type === 'table') {
      if (!startsBlock(text, c, le, mdx)) {
        pushRow(text, { start: ind.pos, end: le }, leaves, rows++);
        continue;
      }
      open = undefined;
    }
    const fence = L.openingFence(line);
    if (fence) {
      close();
      open = { type: 'fence', fence };
      continue;
    }
    const atx = L.atxHeading(line);
    if (atx) {
      close();
      leaves.push({ type: 'heading', segs: [{ start: ind.pos + atx.start, end: ind.pos + atx.end }] });
      continue;
    }
    if (L.isThematicBreak(line)) {
      close();
      continue;
    }
    const kind = L.htmlBlockStart(line, open?.type === 'paragraph');
    if (kind !== undefined && !(mdx && kind !== 2)) {
      close();
      open = { type: 'html', kind, segs: [{ start: c.pos, end: le }] };
      if (L.htmlBlockEnds(kind, line)) close();
      continue;
    }
    if (mdx && open?.type !== 'paragraph' && stack.length === 0 && /^(?:import|export)\b/.test(line)) {
      open = { type: 'esm' };
      continue;
    }
    if (mdx && open?.type !== 'paragraph' && line[0] === '{' && !openBrace) {
      const end = skipExpression(text, ind.pos);
      openBrace = end < 0;
      if (end > 0 && /^[ \t]*$/.test(text.slice(end, lineEndAt(text, end)))) {
        skipTo = end;
        continue;
      }
    }
    if (open?.type === 'paragraph') open.segs.push({ start: ind.pos, end: le });
    else {
      close();
      open = { type: 'paragraph', segs: [{ start: ind.pos, end: le }] };
    }
  }
  close();
  return leaves;
}

function pushRow(text: string, line: Seg, leaves: Leaf[], row: number): void {
  for (const cell of L.tableCells(text.slice(line.start, line.end))) {
    leaves.push({ type: 'cell', segs: [{ start: line.start + cell.start, end: line.start + cell.end }], row });
  }
}
