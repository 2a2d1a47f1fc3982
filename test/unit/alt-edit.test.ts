// applyAltEdits: only alt texts change, escaped for where they go; everything else stays byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAltEdits, escapeHtmlAttr, escapeMarkdownAlt } from '../../src/alt/edit.js';
import { writeAltTexts } from '../../src/alt/write.js';
import { scanDocument, type DocKind } from '../../src/alt/scan.js';
import { docKindOf } from '../../src/inputs/documents.js';

const CORPUS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'alt');
const DOCS = readdirSync(CORPUS)
  .filter((f) => docKindOf(f))
  .sort();

/** Every image of `text` given `alt`. */
function editAll(text: string, kind: DocKind, alt: (i: number) => string): string {
  return applyAltEdits(
    text,
    scanDocument(text, kind).images.map((img, i) => ({ target: img.target, alt: alt(i) })),
  );
}

describe('applyAltEdits', () => {
  it.each<[string, string, string, string, DocKind?]>([
    ['fills an empty Markdown alt', '![](a.png)', 'A cat', '![A cat](a.png)'],
    ['replaces one, keeping the title', '![old](a.png "t")', 'x]y', '![x\\]y](a.png "t")'],
    ['keeps a full reference', '![old][r]\n\n[r]: a.png', 'New', '![New][r]\n\n[r]: a.png'],
    ['keeps a collapsed reference working', '![logo][]\n\n[logo]: a.png', 'Our logo', '![Our logo][logo]\n\n[logo]: a.png'],
    ['keeps a shortcut reference working', '![Logo]\n\n[logo]: a.png', 'Our logo', '![Our logo][Logo]\n\n[logo]: a.png'],
    ['adds an HTML alt, escaped, double-quoted', '<img src="a.png">', 'A "b" & <c>', '<img src="a.png" alt="A &quot;b&quot; &amp; &lt;c&gt;">'],
    ['fills a bare alt', '<img src=a.png alt>', 'x', '<img src=a.png alt="x">'],
    ['requotes an unquoted alt', '<img src=a.png alt=old>', 'x', '<img src=a.png alt="x">'],
    ['keeps the attribute name as written', "<img src=a.png ALT='old' />", 'x', '<img src=a.png ALT="x" />'],
    ['adds before a self-closing slash', '<img src="a.png"/>', 'x', '<img src="a.png" alt="x"/>'],
    ['adds after the last attribute of a multi-line tag', '<img\n  src="a.png"\n>', 'x', '<img\n  src="a.png" alt="x"\n>', 'html'],
    ['MDX: a braced literal stays a JavaScript string', `<img src={"a.png"} alt={'old'} />`, `it's "q"`, `<img src={"a.png"} alt={"it's \\"q\\""} />`, 'mdx'],
    ['MDX: braces in Markdown alt are escaped', '![](a.png)', 'a {b}', '![a \\{b\\}](a.png)', 'mdx'],
    ['a table cell escapes |', '| h | i |\n|---|---|\n| ![](a.png) | b |', 'x|y', '| h | i |\n|---|---|\n| ![x\\|y](a.png) | b |'],
    ['keeps CRLF', 'a\r\n![](a.png)\r\n', 'X', 'a\r\n![X](a.png)\r\n'],
    ['keeps a BOM', '\uFEFF![](a.png)', 'X', '\uFEFF![X](a.png)'],
    ['joins an alt that spanned quoted lines', '> ![old\n> alt](a.png)', 'New', '> ![New](a.png)'],
    ['newlines and control characters become spaces', '![](a.png)', 'a\nb\tc\u0007d', '![a b c d](a.png)'],
  ])('%s', (_, text, alt, expected, kind = 'markdown') => {
    expect(editAll(text, kind, () => alt)).toBe(expected);
  });

  it('refuses overlapping edits and one image edited twice', () => {
    const [img] = scanDocument('<img src=a.png>', 'html').images;
    if (!img) throw new Error('no image');
    expect(() =>
      applyAltEdits('<img src=a.png>', [
        { target: img.target, alt: 'a' },
        { target: img.target, alt: 'b' },
      ]),
    ).toThrow(/overlap/);
  });

  const ALT = (i: number) => `New ${i}: [a] *b* _c_ \`d\` <e> & "f" | {g} \\ &amp; h_i`;

  it.each(DOCS)('%s: every image reads back its new alt; sources, titles, references and line endings stay', (name) => {
    const kind = docKindOf(name) as DocKind;
    const before = readFileSync(path.join(CORPUS, name), 'utf8');
    const after = editAll(before, kind, ALT);
    const old = scanDocument(before, kind);
    const now = scanDocument(after, kind);
    expect(now.images.map((i) => i.alt)).toEqual(old.images.map((_, i) => ALT(i)));
    // A collapsed or shortcut reference becomes a full one (its alt was its label), to the same definition.
    const syntax = (s: string) => (s === 'collapsed' || s === 'shortcut' ? 'reference' : s);
    const keep = (r: typeof old) => r.images.map((i) => [i.src, i.url, i.title, syntax(i.syntax), i.inLink, i.ref?.line]);
    expect(keep(now)).toEqual(keep(old));
    // Only inline.md has an alt over two lines (13-14): its edit joins them, so what follows moves up one.
    const joined = (line: number) => (name === 'inline.md' && line > 13 ? line - 1 : line);
    expect(now.images.map((i) => i.line)).toEqual(old.images.map((i) => joined(i.line)));
    expect(now.notes.map((n) => [n.line, n.message])).toEqual(old.notes.map((n) => [n.line, n.message]));
    const endings = (s: string) => s.match(/\r\n|\r|\n/g) ?? [];
    expect(endings(after).length).toBe(endings(before).length - (name === 'inline.md' ? 1 : 0));
    expect(after.startsWith('\uFEFF')).toBe(before.startsWith('\uFEFF'));
    expect(after.endsWith('\n')).toBe(before.endsWith('\n'));
  });
});

describe('escaping', () => {
  it.each<[string, string]>([
    ['plain words', 'plain words'],
    ['a [b] c', 'a \\[b\\] c'],
    ['back\\slash', 'back\\\\slash'],
    ['*bold* `code` <tag>', '\\*bold\\* &#96;code&#96; \\<tag>'],
    ['~strike~', '\\~strike\\~'],
    ['snake_case stays, _emphasis_ does not', 'snake_case stays, \\_emphasis\\_ does not'],
    ['&amp; is kept literal, & alone is fine', '\\&amp; is kept literal, & alone is fine'],
    ['a|b outside a table', 'a|b outside a table'],
  ])('Markdown %j', (alt, out) => {
    expect(escapeMarkdownAlt(alt, { inTable: false, mdx: false })).toBe(out);
  });

  it('HTML attributes: & " < > ` as references, one line', () => {
    expect(escapeHtmlAttr('a & "b" <c> \'d\' `e`\r\nf')).toBe("a &amp; &quot;b&quot; &lt;c&gt; 'd' &#96;e&#96; f");
  });
});

describe('writeAltTexts', () => {
  const write = (text: string, alt: string, kind: DocKind = 'markdown') =>
    writeAltTexts(
      text,
      kind,
      scanDocument(text, kind).images.map((img) => ({ target: img.target, alt })),
    );

  it('writes the readable escaping when it reads back', () => {
    expect(write('See ![](a.png).', 'A chart (2024) of [sales]')).toBe('See ![A chart (2024) of \\[sales\\]](a.png).');
  });

  it('writes character references where something open before the image would end inside the new text', () => {
    // `[](` opens a link destination that a `)` in the alt would close, and the image would be gone.
    expect(
      applyAltEdits(
        '[](![](a.png)',
        scanDocument('[](![](a.png)', 'markdown').images.map((i) => ({ target: i.target, alt: 'v2)' })),
      ),
    ).toBe('[](![v2)](a.png)');
    expect(scanDocument('[](![v2)](a.png)', 'markdown').images).toEqual([]); // read as a link to `![v2`
    const out = write('[](![](a.png)', 'v2)');
    expect(out).toBe('[](![v2&#41;](a.png)');
    expect(scanDocument(out, 'markdown').images.map((i) => i.alt)).toEqual(['v2)']);
  });

  it('a backtick cannot close a code span opened before the image', () => {
    const out = write('a ` b ![](a.png)', 'the `ls` command');
    expect(scanDocument(out, 'markdown').images.map((i) => i.alt)).toEqual(['the `ls` command']);
  });
});
