// New alt texts into a document: only the alt texts change, every other character stays as it was
// (BOM, line endings, titles, definitions, the trailing newline or its absence). Each text is
// escaped for where it goes. Works on the document's string; the caller decodes and encodes UTF-8.
import type { AltTarget } from './doc-image.js';

export interface AltEdit {
  target: AltTarget;
  alt: string;
  /**
   * Every ASCII punctuation character as a character reference (`&#40;`): never read as markup,
   * whatever is open around the image. For when the readable escaping did not read back (write.ts).
   */
  strict?: boolean;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: one line of text only.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Markdown alt text: what would end the text or start markup is backslash-escaped. */
export function escapeMarkdownAlt(alt: string, o: { inTable: boolean; mdx: boolean }): string {
  const flat = alt.replace(/\r\n/g, ' ').replace(CONTROL, ' ');
  const special = o.mdx ? /[\\[\]*~<{}]/g : /[\\[\]*~<]/g;
  let out = flat.replace(special, '\\$&');
  // `&name;` would be read as a character reference, `_x_` as emphasis; alone they are plain text.
  out = out.replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&').replace(/(^|[^\p{L}\p{N}])_|_(?=[^\p{L}\p{N}]|$)/gu, (m) => m.replace('_', '\\_'));
  // A backtick, even escaped, closes a code span opened before the image; a reference never does.
  out = out.replace(/`/g, '&#96;');
  if (o.inTable) out = out.replace(/\|/g, '\\|');
  return out;
}

/**
 * HTML (and JSX string) attribute value, to be written between double quotes. A backtick too is a
 * reference: in Markdown a code span opened before the tag would otherwise close inside it.
 */
export function escapeHtmlAttr(alt: string): string {
  return alt.replace(/\r\n/g, ' ').replace(CONTROL, ' ').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '&#96;');
}

/** Every ASCII punctuation character as a numeric character reference. */
function strictReferences(alt: string): string {
  return alt
    .replace(/\r\n/g, ' ')
    .replace(CONTROL, ' ')
    .replace(/[!-/:-@[-`{-~]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function replacementFor(target: AltTarget, alt: string, strict = false): string {
  switch (target.syntax) {
    case 'markdown':
      return (strict ? strictReferences(alt) : escapeMarkdownAlt(alt, target)) + target.after;
    case 'html':
      return target.before + (strict ? strictReferences(alt) : escapeHtmlAttr(alt)) + target.after;
    case 'jsx':
      // An MDX `alt={"…"}` stays a JavaScript string literal; JSON's escaping is valid JavaScript.
      return `{${JSON.stringify(alt.replace(/\r\n/g, ' ').replace(CONTROL, ' ')).replace(/`/g, '\\u0060')}}`;
  }
}

/** What a reader of the edited page reads as an alt text written here: one line; in Markdown, collapsed. */
export function readsAs(alt: string, syntax: AltTarget['syntax']): string {
  const oneLine = alt.replace(/\r\n/g, ' ').replace(CONTROL, ' ');
  return syntax === 'markdown' ? oneLine.replace(/\s+/g, ' ').trim() : oneLine;
}

/**
 * The document with each edit's alt text written in. Edits may come in any order but must not
 * overlap. The command uses writeAltTexts (write.ts), which also checks that the result reads back.
 */
export function applyAltEdits(text: string, edits: readonly AltEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.target.start - b.target.start || a.target.end - b.target.end);
  const parts: string[] = [];
  let at = 0;
  let last = -1;
  for (const e of sorted) {
    const { start, end } = e.target;
    // Two edits at one place (two insertions there) would be one image edited twice.
    if (start < at || start === last || end < start || end > text.length) {
      throw new Error(`alt edits overlap or fall outside the document (at ${start}-${end}, after ${at})`);
    }
    parts.push(text.slice(at, start), replacementFor(e.target, e.alt, e.strict));
    at = end;
    last = start;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
