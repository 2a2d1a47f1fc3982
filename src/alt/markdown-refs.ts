// The pieces that link and image syntax share in CommonMark: labels `[ref]`, destinations
// `a.png` / `<a b.png>`, titles "…" '…' (…), the `(dest "title")` after an inline image, and the
// reference definitions `[ref]: dest "title"` at the start of a paragraph. Indices into one string.

export interface Definition {
  /** The label as written (inside the brackets). */
  label: string;
  dest: string;
  title: string | undefined;
  /** Index of the definition's `[` in the text it was read from. */
  start: number;
}

/** How labels match: case-folded, inner whitespace collapsed, trimmed. */
export function normalizeLabel(raw: string): string {
  return raw.trim().replace(/\s+/g, ' ').toLowerCase().toUpperCase();
}

/** A link label at `at` (`[`): no unescaped brackets inside, at most 999 characters, not blank. */
export function parseLabel(text: string, at: number, to = text.length): { raw: string; end: number } | undefined {
  if (text[at] !== '[') return undefined;
  for (let i = at + 1; i < to && i - at <= 1000; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '[') return undefined;
    else if (c === ']') {
      const raw = text.slice(at + 1, i);
      return /\S/.test(raw) ? { raw, end: i + 1 } : undefined;
    }
  }
  return undefined;
}

/** Spaces and tabs, with at most one line ending among them. */
function skipSpace(text: string, i: number, to = text.length): number {
  let newlines = 0;
  for (; i < to; i++) {
    const c = text[i];
    if (c === '\n') {
      if (++newlines > 1) break;
    } else if (c !== ' ' && c !== '\t') break;
  }
  return i;
}

function parseDestination(text: string, at: number, to = text.length): { raw: string; end: number; angle: boolean } | undefined {
  if (text[at] === '<') {
    for (let i = at + 1; i < to; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '\n' || c === '<') return undefined;
      else if (c === '>') return { raw: text.slice(at + 1, i), end: i + 1, angle: true };
    }
    return undefined;
  }
  let depth = 0;
  let i = at;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) break;
    if (c === 0x5c /* \ */ && i + 1 < to && /[!-/:-@[-`{-~]/.test(text[i + 1] as string)) i++;
    else if (c === 0x28 /* ( */) depth++;
    else if (c === 0x29 /* ) */) {
      if (depth === 0) break;
      depth--;
    }
  }
  if (i === at || depth !== 0) return undefined;
  return { raw: text.slice(at, i), end: i, angle: false };
}

function parseTitle(text: string, at: number, to = text.length): { raw: string; end: number } | undefined {
  const open = text[at];
  const close = open === '(' ? ')' : open;
  if (open !== '"' && open !== "'" && open !== '(') return undefined;
  for (let i = at + 1; i < to; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === close) return { raw: text.slice(at + 1, i), end: i + 1 };
    else if (open === '(' && c === '(') return undefined;
    else if (c === '\n' && /^[ \t]*\n/.test(text.slice(i + 1))) return undefined; // no blank line inside
  }
  return undefined;
}

/** The `(dest "title")` at `at` (`(`) after an image's or link's text. */
export function parseInlineTail(text: string, at: number, to = text.length): { dest: string; title: string | undefined; end: number } | undefined {
  let i = skipSpace(text, at + 1, to);
  if (text[i] === ')') return { dest: '', title: undefined, end: i + 1 };
  const dest = parseDestination(text, i, to);
  if (!dest) return undefined;
  i = dest.end;
  let j = skipSpace(text, i, to);
  let title: string | undefined;
  if (j > i && (text[j] === '"' || text[j] === "'" || text[j] === '(')) {
    const t = parseTitle(text, j, to);
    if (!t) return undefined;
    title = t.raw;
    j = skipSpace(text, t.end, to);
  }
  return text[j] === ')' ? { dest: dest.raw, title, end: j + 1 } : undefined;
}

/**
 * The reference definitions at the start of a paragraph's text, and where the rest of the
 * paragraph begins. A title that is followed by more text on its line is no title; the definition
 * then ends with its destination's line, if that line has nothing else.
 */
export function parseDefinitions(text: string): { defs: Definition[]; end: number } {
  const defs: Definition[] = [];
  let pos = 0;
  while (pos < text.length) {
    const start = pos + (/^ {0,3}/.exec(text.slice(pos))?.[0].length ?? 0);
    const label = parseLabel(text, start);
    if (!label || text[label.end] !== ':' || label.raw.length > 999) break;
    const dest = parseDestination(text, skipSpace(text, label.end + 1));
    if (!dest || (dest.raw === '' && !dest.angle)) break;
    const destLineEnd = lineEnd(text, dest.end);
    const destLineRest = /^[ \t]*$/.test(text.slice(dest.end, destLineEnd));
    const j = skipSpace(text, dest.end);
    const t = j > dest.end ? parseTitle(text, j) : undefined;
    if (t && /^[ \t]*$/.test(text.slice(t.end, lineEnd(text, t.end)))) {
      defs.push({ label: label.raw, dest: dest.raw, title: t.raw, start });
      pos = lineEnd(text, t.end) + 1;
    } else if (destLineRest) {
      defs.push({ label: label.raw, dest: dest.raw, title: undefined, start });
      pos = destLineEnd + 1;
    } else break;
  }
  return { defs, end: Math.min(pos, text.length) };
}

function lineEnd(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 ? text.length : i;
}
