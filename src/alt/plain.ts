// Markup -> the plain text a reader sees, for alt texts and for the context given to the model.
// An approximation (a full inline parse is not needed to tell the model what a paragraph says):
// code spans keep their content, links and images their text, tags and comments go, emphasis
// markers go, escapes and character references are decoded, whitespace is collapsed.
import { decodeEntities } from './entities.js';

/**
 * `tags`: what a tag or comment leaves behind. An alt text drops them (`a<b>c</b>` reads "ac"); the
 * context keeps a space, so that words on both sides of a `<br>` stay apart.
 */
export function plainMarkdown(s: string, mdx = false, tags = ' '): string {
  // Code spans and escaped characters are set aside first, so nothing below reads markup in them.
  const kept: string[] = [];
  const keep = (literal: string) => `\u0000${kept.push(literal) - 1}\u0000`;
  let t = s
    .replace(/\u0000/g, ' ')
    .replace(/\\\n/g, ' ') // a backslash at the end of a line is a hard line break
    .replace(/\\([!-/:-@[-`{-~])|(?<!`)(`+)(?!`)([\s\S]*?[^`])\2(?!`)/g, (_, escaped: string | undefined, _run: string, body: string) =>
      keep(escaped ?? body.replace(/^ ([\s\S]*) $/, '$1')),
    );
  if (mdx) t = t.replace(/\{[^{}]*\}/g, tags);
  t = t
    .replace(/<([A-Za-z][\w+.-]{1,31}:[^\s<>]*)>/g, (_, url: string) => keep(url)) // an autolink shows its URL
    .replace(/<!--[\s\S]*?-->/g, tags)
    .replace(/<\/?[A-Za-z][^<>]*>/g, tags);
  for (let k = 0; k < 3; k++) {
    const before = t;
    // A link or image with its destination or reference keeps its text; bare [brackets] are text.
    t = t.replace(/!?\[([^\][]*)\](?:\([^)]*\)|\[[^\]]*\])/g, '$1');
    if (t === before) break;
  }
  for (let k = 0; k < 3; k++) {
    const before = t;
    // `*` emphasis may sit inside a word (2*3*4 reads 234); `_` and `~` only between non-words.
    t = t.replace(/(\*{1,3})(?=[^\s*])([^*]*?[^\s*])\1/g, '$2').replace(/(^|[^\p{L}\p{N}])(_{1,3}|~{1,2})(?=[^\s_~])([\s\S]*?[^\s_~])\2(?![\p{L}\p{N}])/gu, '$1$3');
    if (t === before) break;
  }
  t = decodeEntities(t).replace(/\u0000(\d+)\u0000/g, (_, n: string) => kept[Number(n)] ?? '');
  return collapse(t);
}

export function plainHtml(s: string): string {
  return collapse(decodeEntities(s.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<\/?[A-Za-z][^<>]*>/g, ' ')));
}

function collapse(s: string): string {
  return s.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** At most `max` characters, cut at a word where one is near, with … where it was cut. */
export function clipEnd(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/** The last `max` characters, cut at a word, with … in front. */
export function clipStart(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(s.length - max + 1);
  const space = cut.indexOf(' ');
  return `…${space >= 0 && space < max * 0.4 ? cut.slice(space + 1) : cut}`;
}
