// scanDocument over the corpus in fixtures/alt (every form of image, and things that only look like
// one), then single rules as table rows: what a reader of the rendered page would call an image.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDocument, type DocImage, type DocKind } from '../../src/alt/scan.js';
import { docKindOf } from '../../src/inputs/documents.js';

const CORPUS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'alt');
const read = (name: string) => readFileSync(path.join(CORPUS, name), 'utf8');
/** One image as a line: place, syntax (+link), source as written, alt text. */
const brief = (i: DocImage) => `${i.line}:${i.column} ${i.syntax}${i.inLink ? '+link' : ''} ${i.src} ${JSON.stringify(i.alt)}`;

const CORPUS_IMAGES: Record<string, string[]> = {
  'inline.md': [
    '5:1 inline shots/settings.png ""',
    '7:1 inline shots/space.png ""',
    '7:37 inline shots/generic.png "Image"',
    '7:78 inline p.png "PHOTO."',
    '9:1 inline shots/shot.png "shot"',
    '9:25 inline dash.png "The new dashboard with three charts"',
    '11:1 inline nested.png "a [nested] alt"',
    '11:31 inline escaped.png "escaped ] bracket"',
    '11:66 inline shots/with space.png ""',
    '13:1 inline two-lines.png "alt over two lines"',
    '14:27 inline a%20b.png ""',
    '14:42 inline caf&eacute;.png ""',
    '14:63 inline x\\_y.png ""',
    '16:2 inline+link linked.png ""',
    '16:50 inline+link in-link.png "inner"',
    '18:20 inline item.png ""',
    '21:5 inline under-item.png ""',
    '23:10 inline quoted.png ""',
    '24:6 inline lazy.png "lazy one"',
    '26:54 inline ok-after.png ""',
  ],
  'references.md': [
    '5:1 reference img/logo.png ""',
    '5:11 reference img/an icon.png "An icon"',
    '5:28 collapsed img/logo.png "logo"',
    '5:38 shortcut img/logo.png "Logo"',
    '7:2 reference+link img/logo.png ""',
  ],
  'code.md': ['21:59 inline after-code.png ""', '27:46 inline after-comment.png ""', '30:1 html in-pre.png undefined'],
  'html-in-md.md': [
    '4:3 html logo.png undefined',
    '7:18 html inline.png "Inline chart"',
    '7:64 html upper.png ""',
    '15:1 inline markdown-in-div.png ""',
    '23:1 html bare-alt.png ""',
    '23:30 html unquoted.png "image"',
    '25:1 html multi-line.png undefined',
  ],
  'crlf.md': ['5:1 inline crlf.png ""', '9:1 reference ref.png ""', '9:15 html tag.png undefined'],
  'mixed.md': ['3:1 inline lf-then-crlf.png ""', '5:1 inline after-cr.png ""', '7:1 inline last.png ""'],
  'bom.md': ['1:1 inline bom-first.png ""', '3:8 inline bom-second.png ""'],
  'no-newline.md': ['3:1 inline no-newline.png ""'],
  'tables.md': ['5:3 inline table-a.png ""', '6:3 inline table-b.png "Form"', '8:3 inline table-pipe.png "a|b"'],
  'page.mdx': [
    '7:5 inline indented-in-jsx.png ""',
    '10:1 html literal.png undefined',
    '11:1 html braced.png "Braced alt"',
    '18:25 inline inline.png "inline"',
    '25:5 inline indented-is-not-code.png ""',
  ],
  'page.html': [
    '10:23 html settings&amp;more.png ""',
    '13:3 html figure.png ""',
    '17:16 html+link home.png "image"',
    '18:1 html multi-line.png undefined',
    '22:1 html described.png "A bar chart of monthly sales"',
    '25:1 html spaces.png " "',
  ],
  'sp ace.md': ['3:1 inline images/sp%20ace.png ""'],
  'ünïcödé 文档.md': ['3:16 inline 图片/截图.png ""', '5:5 inline emoji-before.png ""', '7:1 inline 图片/截图.png "截图.png"'],
  'long-ext.markdown': ['3:1 inline ext.png ""'],
  'short-ext.htm': ['1:16 html htm.png undefined'],
};

const CORPUS_NOTES: Record<string, string[]> = {
  'page.mdx': [
    '12:1 <img src={…}>: the source is an expression, not a literal; skipped',
    '13:1 <img {...}>: its source comes from an expression; skipped',
    '18:51 <img alt={…}>: the alt text is an expression; left as it is',
  ],
  'page.html': ['23:1 <img> without a src; skipped'],
};

describe('scanDocument on the corpus', () => {
  it.each(Object.entries(CORPUS_IMAGES))('%s: every image, in order, nothing else', (name, expected) => {
    const r = scanDocument(read(name), docKindOf(name) as DocKind);
    expect(r.images.map(brief)).toEqual(expected);
    expect(r.notes.map((n) => `${n.line}:${n.column} ${n.message}`)).toEqual(CORPUS_NOTES[name] ?? []);
  });

  it('reads titles in all three quotings, and decodes sources where a renderer would', () => {
    const imgs = scanDocument(read('inline.md'), 'markdown').images;
    const by = (src: string) => imgs.find((i) => i.src === src) as DocImage;
    expect([by('shots/space.png').title, by('shots/generic.png').title, by('p.png').title]).toEqual(['A title', 'single', 'parens']);
    expect(by('caf&eacute;.png').url).toBe('café.png');
    expect(by('x\\_y.png').url).toBe('x_y.png');
    expect(by('a%20b.png').url).toBe('a%20b.png'); // percent-decoding is for finding files (source.ts)
    const html = scanDocument(read('page.html'), 'html').images;
    expect(html[0]).toMatchObject({ src: 'settings&amp;more.png', url: 'settings&more.png' });
    expect(html.find((i) => i.src === 'home.png')?.title).toBe('Home');
  });

  it('resolves references through definitions far below, case-insensitively, the first definition winning', () => {
    const imgs = scanDocument(read('references.md'), 'markdown').images;
    expect(imgs.map((i) => [i.ref?.label, i.ref?.line, i.title])).toEqual([
      ['logo', 17, 'The logo'],
      ['ICON', 18, 'Icon title'],
      ['logo', 17, 'The logo'],
      ['Logo', 17, 'The logo'],
      ['logo', 17, 'The logo'],
    ]);
  });

  it('gives each image its heading and the text it sits in or next to', () => {
    const ctx = (name: string, src: string) => scanDocument(read(name), docKindOf(name) as DocKind).images.find((i) => i.src === src)?.context;
    expect(ctx('inline.md', 'shots/settings.png')).toEqual({ heading: 'Inline images', text: 'The settings dialog, before the change:' });
    expect(ctx('inline.md', 'item.png')).toEqual({ heading: 'Inline images', text: 'and text more A list item with' });
    expect(ctx('tables.md', 'table-a.png')).toEqual({ heading: 'Tables', text: 'The login form' });
    expect(ctx('page.html', 'figure.png')).toEqual({ heading: 'Getting started', text: 'The dashboard — overview' });
    expect(ctx('ünïcödé 文档.md', '图片/截图.png')).toEqual({ heading: '文档标题', text: '这是一个段落，说明截图的内容。 后面还有文字。' });
    expect(ctx('html-in-md.md', 'bare-alt.png')?.text).not.toContain('document.write'); // script text is not context
  });
});

const count = (text: string, kind: DocKind = 'markdown') => scanDocument(text, kind).images.map((i) => i.src);

describe('what is and is not an image', () => {
  it.each<[string, string, string[], DocKind?]>([
    ['inline', '![](a.png)', ['a.png']],
    ['in a code span', 'x `![](a.png)` y', []],
    ['in a double-backtick code span', 'x ``![](`a`.png)`` y', []],
    ['after an unmatched backtick run', 'x `` y ![](a.png)', ['a.png']],
    ['escaped bang: a link, not an image', '\\![](a.png)', []],
    ['balanced parentheses in the destination', '![a](b(1).png)', ['b(1).png']],
    ['escaped parenthesis in the destination', '![a](b\\(.png)', ['b\\(.png']],
    ['spaces around the destination', '![a](  b.png  )', ['b.png']],
    ['angle brackets: spaces allowed', '![a](<b c.png> "t")', ['b c.png']],
    ['a space before ( is no image', '![a] (b.png)', []],
    ['an undefined reference', '![a][nope]', []],
    ['a definition, then its use', '[x]: a.png\n![x]', ['a.png']],
    ['a definition inside a code block is none', '```\n[x]: a.png\n```\n![x]', []],
    ['fenced with backticks', '```\n![](a.png)\n```\n![](b.png)', ['b.png']],
    ['fenced with tildes and an info string', '~~~ md title="x"\n![](a.png)\n~~~\n![](b.png)', ['b.png']],
    ['a fence closes only with its own character', '~~~\n![](a.png)\n```\n![](b.png)', []],
    ['a longer fence holds a shorter one', '````\n```\n![](a.png)\n```\n````\n![](b.png)', ['b.png']],
    ['an unclosed fence runs to the end', 'x\n\n```\n![](a.png)\n\n![](b.png)', []],
    ['a fence in a quote ends with the quote', '> ```\n> ![](a.png)\n\n![](b.png)', ['b.png']],
    ['a fence in a list item ends with the item', '- ```\n  ![](a.png)\n\n![](b.png)', ['b.png']],
    ['indented code', 'x\n\n    ![](a.png)', []],
    ['indented with a tab', 'x\n\n\t![](a.png)', []],
    ['indented lines continue a paragraph', 'x\n    ![](a.png)', ['a.png']],
    ['indented under a list item is its content', '1.  x\n\n    ![](a.png)', ['a.png']],
    ['MDX has no indented code', 'x\n\n    ![](a.png)', ['a.png'], 'mdx'],
    ['in an HTML comment', '<!-- ![](a.png) -->\n\n![](b.png)', ['b.png']],
    ['in an inline comment', 'x <!-- ![](a.png) --> ![](b.png)', ['b.png']],
    ['an unclosed comment block runs to the end', '<!-- x\n\n![](a.png)', []],
    ['an unclosed inline comment is text', 'x <!-- ![](a.png)', ['a.png']],
    ['Markdown inside a raw HTML block is text', '<div>\n![](a.png)\n</div>', []],
    ['a lone closing tag starts a raw HTML block too', '</pre>\n![](a.png)', []],
    ['a word and > is no tag', 'text>\n>![](a.png)', ['a.png']],
    ['a list item may begin with one blank line only', '2)\n\n    - <p><img src=a.png>', []],
    ['a sibling item is no lazy line', '1. x\n2. <p><img src=a.png>\n![](b.png)', ['a.png', 'b.png']],
    ['four columns in, a fence cannot start', 'x\n    ```\n![](a.png)', ['a.png']],
    ['<img> in a paragraph', 'x <img src="a.png"> y', ['a.png']],
    ['<IMG> in any case', '<IMG SRC=a.png>', ['a.png']],
    ['<img> in inline code', '`<img src="a.png">`', []],
    ['an unclosed tag', 'x <img src="a.png"', []],
    ['<img> inside <script>', '<script>\nx = "<img src=a.png>"\n</script>', []],
    ['a link around an image', '[![](a.png)](b.html)', ['a.png']],
    ['a link with a reference around a reference image', '[![][i]][l]\n\n[i]: a.png\n[l]: b.html', ['a.png']],
    ['MDX: lowercase img only', '<IMG src="a.png" />\n\n<img src="b.png" />', ['b.png'], 'mdx'],
    ['MDX: an expression is code', '{"![](a.png)"} ![](b.png)', ['b.png'], 'mdx'],
    ['MDX: an expression before an unclosed brace is still code', `x {'<img src="a.png" />'} ![](b.png) {`, ['b.png'], 'mdx'],
    ['MDX: import lines are code', "import x from '![](a.png)'\n\n![](b.png)", ['b.png'], 'mdx'],
  ])('%s', (_, text, srcs, kind = 'markdown') => {
    expect(count(text, kind)).toEqual(srcs);
  });

  it.each<[string, string, string[]]>([
    ['in <script>', '<script><img src=a.png></script><img src=b.png>', ['b.png']],
    ['in <SCRIPT> with attributes', '<SCRIPT type="module"><img src=a.png></SCRIPT><img src=b.png>', ['b.png']],
    ['in <style>', '<style>/* <img src=a.png> */</style><img src=b.png>', ['b.png']],
    ['in a comment', '<!-- <img src=a.png> --><img src=b.png>', ['b.png']],
    ['after an empty comment', '<!--> <img src=a.png>', ['a.png']],
    ['in <textarea> and <title>', '<title><img src=a.png></title><textarea><img src=b.png></textarea>', []],
    ['any quoting', `<img src=a.png><img src='b.png'><img src="c.png">`, ['a.png', 'b.png', 'c.png']],
  ])('HTML: %s', (_, text, srcs) => {
    expect(count(text, 'html')).toEqual(srcs);
  });

  it('reads HTML alt as absent, present-and-empty (also bare `alt`), or its decoded value', () => {
    const alts = scanDocument('<img src=a><img src=b alt><img src=c alt=""><img src=d ALT="x &amp; y"><img src=e alt=z>', 'html').images.map((i) => i.alt);
    expect(alts).toEqual([undefined, '', '', 'x & y', 'z']);
  });

  it('bounds the context it keeps of a long paragraph, around the image', () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const [img] = scanDocument(`# H\n\n${words} ![](a.png) ${words}`, 'markdown').images;
    expect(img?.context.text.length).toBeLessThanOrEqual(600);
    expect(img?.context.text).toMatch(/^….* w399 w0 .*…$/);
  });
});

describe('inputs that would make a naive scanner quadratic', () => {
  // Each took minutes before the scan was made linear; each now takes milliseconds.
  it.each<[string, string, DocKind, number]>([
    ['200,000 unmatched [', '['.repeat(200_000), 'markdown', 0],
    ['100,000 ![ without a ]', '!['.repeat(100_000), 'markdown', 0],
    ['40,000 unclosed tags in HTML', '<a b '.repeat(40_000), 'html', 0],
    ['200,000 unclosed { in MDX', '{'.repeat(200_000), 'mdx', 0],
    ['100,000 lines of { in MDX', '{\n'.repeat(100_000), 'mdx', 0],
  ])('%s', (_, text, kind, images) => {
    expect(scanDocument(text, kind).images.length).toBe(images);
  });

  it('20,000 images on one line, each with its own column', () => {
    const line = Array.from({ length: 20_000 }, (_, i) => `![](i${i}.png)`).join(' ');
    const imgs = scanDocument(`é ${line}`, 'markdown').images;
    expect(imgs.length).toBe(20_000);
    const last = imgs[imgs.length - 1];
    expect(last?.column).toBe(3 + line.length - '![](i19999.png)'.length);
  });

  it('an HTML block of hundreds of images gives each the text next to it', () => {
    const cells = Array.from({ length: 500 }, (_, i) => `<td><img src="u${i}.png"><br><sub>Person ${i}</sub></td>`).join('\n');
    const imgs = scanDocument(`# Contributors\n\n<table><tr>\n${cells}\n</tr></table>\n`, 'markdown').images;
    expect(imgs.length).toBe(500);
    expect(imgs[250]?.context.text).toMatch(/Person 250/);
  });
});

describe('alt text as the page gives it (as commonmark.js reads it)', () => {
  it.each<[string, string]>([
    ['![*em* and **strong**](x.png)', 'em and strong'],
    ['![a<b>c</b>](x.png)', 'ac'],
    ['![see <http://a.b>](x.png)', 'see http://a.b'],
    ['![2*3*4](x.png)', '234'],
    ['![snake_case and _em_](x.png)', 'snake_case and em'],
    ['![a [b] c](x.png)', 'a [b] c'],
    ['![a [link](u) b](x.png)', 'a link b'],
    ['![`code` `` ` ``](x.png)', 'code `'],
    ['![&amp; &#65; &bogus;](x.png)', '& A &bogus;'],
    ['![\\*not em\\*](x.png)', '*not em*'],
    ['![line\\\nbreak](x.png)', 'line break'],
    ['![a <!-- c --> b](x.png)', 'a b'],
  ])('%j -> %j', (text, alt) => {
    expect(scanDocument(text, 'markdown').images.map((i) => i.alt)).toEqual([alt]);
  });
});
