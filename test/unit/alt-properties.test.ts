// Properties over random documents made of the pieces Markdown, MDX and HTML are made of: the scan
// never fails, its edit targets lie inside the document without overlapping, and writing any alt
// texts gives a document whose images read back exactly those texts, with nothing else changed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyAltEdits } from '../../src/alt/edit.js';
import { writeAltTexts } from '../../src/alt/write.js';
import { scanDocument, type DocKind } from '../../src/alt/scan.js';

const PIECES = [
  '![](a.png)',
  '![x](b.png "t")',
  '![r]',
  '![x][r]',
  '![r][]',
  '[r]: c.png',
  '[![](d.png)](u)',
  '<img src=e.png>',
  '<img src="f.png" alt="x">',
  '<img src=g.png alt>',
  '![',
  '](',
  ')',
  '[',
  ']',
  '(',
  '`',
  '``',
  '"',
  "'",
  '\\',
  '*',
  '_',
  '~',
  '|',
  '#',
  '# ',
  '---',
  '===',
  '> ',
  '- ',
  '1. ',
  '    ',
  '\t',
  '```',
  '~~~',
  '<!--',
  '-->',
  '<div>',
  '</div>',
  '<script>',
  '</script>',
  '&amp;',
  '&',
  '{',
  '}',
  '<',
  '>',
  'text',
  'é',
  '👍🏽',
  ' ',
  '\n',
  '\n\n',
  '\r\n',
  '\r',
  '| a | b |\n|---|---|\n| ![](h.png) | c |\n',
];
const doc = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((ps) => ps.join(''));
const altText = fc.string({
  unit: fc.constantFrom('a', 'B', ' ', '[', ']', '\\', '`', '*', '_', '~', '<', '>', '&', '"', "'", '|', '{', '}', '\n', '\t', '\u0007', 'é', '👍', '#', '!', '(', ')', ';', 'amp'),
  maxLength: 24,
});
const KINDS: DocKind[] = ['markdown', 'mdx', 'html'];

/** What a reader of the edited page reads as the alt text that was written. */
function readBack(alt: string, syntax: 'markdown' | 'html' | 'jsx'): string {
  const oneLine = alt.replace(/\r\n/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  // Markdown alt is plain text with whitespace collapsed; attribute values are kept as they are.
  return syntax === 'markdown' ? oneLine.replace(/\s+/g, ' ').trim() : oneLine;
}

describe('scan and edit, on any document', () => {
  it.each(KINDS)('%s: targets are in bounds and apart; edits read back and change nothing else', (kind) => {
    fc.assert(
      fc.property(doc, fc.array(altText, { minLength: 60, maxLength: 60 }), (text, alts) => {
        const before = scanDocument(text, kind);
        const targets = before.images.map((i) => i.target).sort((a, b) => a.start - b.start);
        targets.forEach((t, k) => {
          expect(t.start).toBeGreaterThanOrEqual(0);
          expect(t.end).toBeLessThanOrEqual(text.length);
          expect(t.start).toBeLessThanOrEqual(t.end);
          if (k > 0) expect(t.start).toBeGreaterThan((targets[k - 1] as typeof t).end - 1);
        });
        const edits = before.images.map((img, k) => ({ target: img.target, alt: alts[k % alts.length] as string }));
        const after = writeAltTexts(text, kind, edits);
        const now = scanDocument(after, kind);
        expect(now.images.map((i) => i.src)).toEqual(before.images.map((i) => i.src));
        expect(now.images.map((i) => i.alt)).toEqual(edits.map((e) => readBack(e.alt, e.target.syntax)));
        expect(now.notes.map((n) => n.message)).toEqual(before.notes.map((n) => n.message));
        // Where nothing is open around the images, the readable escaping is what was written.
        const plain = applyAltEdits(text, edits);
        const read = scanDocument(plain, kind).images;
        if (read.length === now.images.length && read.every((img, k) => img.alt === now.images[k]?.alt)) expect(after).toBe(plain);
      }),
      { numRuns: 400 },
    );
  });
});
