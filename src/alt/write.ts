// New alt texts into a document, checked: the edited document is scanned again, and every image must
// still be there with the alt text it was given (the others unchanged). Readable escaping comes
// first; where a construct left open before an image would take a character of the new text as its
// end (a `(` after `[…]`, an unclosed tag), the document's new alt texts are written as character
// references instead, which nothing reads as markup.
import type { DocKind } from '../inputs/documents.js';
import type { DocImage } from './doc-image.js';
import { applyAltEdits, readsAs, type AltEdit } from './edit.js';
import { scanDocument } from './scan.js';

export function writeAltTexts(text: string, kind: DocKind, edits: readonly AltEdit[]): string {
  const before = scanDocument(text, kind).images;
  for (const strict of [false, true]) {
    const tried = edits.map((e) => ({ ...e, strict }));
    const out = applyAltEdits(text, tried);
    if (readsBack(before, scanDocument(out, kind).images, tried)) return out;
  }
  throw new Error(`new alt texts do not read back in this ${kind} document (a bug: please report it)`);
}

function readsBack(before: readonly DocImage[], after: readonly DocImage[], edits: readonly AltEdit[]): boolean {
  if (after.length !== before.length) return false;
  const bySpot = new Map(edits.map((e) => [e.target.start, e]));
  return before.every((old, i) => {
    const now = after[i] as DocImage;
    const edit = bySpot.get(old.target.start);
    const alt = edit ? readsAs(edit.alt, edit.target.syntax) : old.alt;
    return now.src === old.src && now.title === old.title && now.alt === alt;
  });
}
