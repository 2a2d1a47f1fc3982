// The bits of JavaScript that MDX documents carry: `{expressions}` (skipped: they are code, not
// Markdown) and literal attribute values `{"a.png"}`, `{'a.png'}`, {`a.png`} (taken as text).

/** The index just past the `}` that closes the `{` at `open`, or -1 when it never closes. */
export function skipExpression(text: string, open: number, to = text.length): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(text, i, to);
      if (i < 0) return -1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0 || end >= to) return -1;
      i = end + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      if (end < 0 || end >= to) return -1;
      i = end;
    }
  }
  return -1;
}

/** Index of the closing quote of the string starting at `at`, or -1. */
function skipString(text: string, at: number, to: number): number {
  const q = text[at];
  for (let i = at + 1; i < to; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === q) return i;
    else if (c === '\n' && q !== '`') return -1;
  }
  return -1;
}

/**
 * The string an attribute expression stands for when it is a plain literal: `{"a.png"}`,
 * `{ 'a.png' }`, {`a.png`} without `${…}`. Anything else (a variable, a call, a concatenation)
 * is undefined: its value is only known when the page runs.
 */
export function literalOf(expression: string): string | undefined {
  const inner = expression.replace(/^\{\s*/, '').replace(/\s*\}$/, '');
  const m = /^(["'`])([\s\S]*)\1$/.exec(inner);
  if (!m) return undefined;
  const [, quote, body = ''] = m;
  if (quote === '`' && body.includes('${')) return undefined;
  // The quote must not close early: "a" + "b" also starts and ends with a quote.
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === quote) return undefined;
  }
  return unescapeJs(body);
}

function unescapeJs(s: string): string {
  return s.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, e: string) => {
    if (e[0] === 'u' && e.length > 1) return String.fromCodePoint(Number.parseInt(e.replace(/[u{}]/g, ''), 16));
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
    if (e === '\n' || e === '\r\n' || e === '\r') return ''; // a line continuation
    return simple[e] ?? e;
  });
}
