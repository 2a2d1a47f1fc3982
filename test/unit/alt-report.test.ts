// The alt command's outputs: --check lines, JSONL records, the Markdown report.
import { describe, expect, it } from 'vitest';
import { altRecord, checkLines, escapeCell, jsonlRecord, markdownReport, type AltRecord, type ReportRow } from '../../src/alt/report.js';

describe('checkLines', () => {
  it('prints path:line:column: src: finding, sorted by path, line and column', () => {
    const out = checkLines([
      { doc: 'docs/b.md', line: 3, column: 1, src: 'b.png', finding: 'missing alt text' },
      { doc: 'docs/a.md', line: 10, column: 5, src: 'c.png', finding: 'generic alt "image"' },
      { doc: 'docs/a.md', line: 2, column: 9, src: 'd.png', finding: 'file-name alt "d.png"' },
      { doc: 'docs/a.md', line: 2, column: 3, src: 'e f.png', finding: 'missing alt text' },
      { doc: 'README.md', line: 1, column: 1, src: 'r.png', finding: 'missing alt text' },
    ]);
    expect(out).toBe(
      [
        'README.md:1:1: r.png: missing alt text',
        'docs/a.md:2:3: e f.png: missing alt text',
        'docs/a.md:2:9: d.png: file-name alt "d.png"',
        'docs/a.md:10:5: c.png: generic alt "image"',
        'docs/b.md:3:1: b.png: missing alt text',
        '',
      ].join('\n'),
    );
  });

  it('shows control characters in names as escapes, never raw', () => {
    expect(checkLines([{ doc: 'a\u001b[2J.md', line: 1, column: 1, src: 'x\ny.png', finding: 'missing alt text' }])).toBe('a\\x1b[2J.md:1:1: x\\x0ay.png: missing alt text\n');
  });

  it('prints nothing when nothing is missing', () => {
    expect(checkLines([])).toBe('');
  });
});

describe('JSONL records', () => {
  it('has exactly the documented fields, in order, whatever order they were given in', () => {
    const given = {
      error: null,
      cost: { amount: 0.0012, currency: 'CNY' },
      usage: { prompt_tokens: 420, completion_tokens: 18, total_tokens: 438 },
      cached: false,
      reason: 'generic',
      alt: 'The settings dialog',
      old_alt: 'image',
      image_sha256: 'ab'.repeat(32),
      src: 'shots/a.png',
      column: 1,
      line: 5,
      doc: 'docs/a.md',
    } satisfies AltRecord;
    const line = jsonlRecord(given);
    expect(line.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(line))).toEqual(['doc', 'line', 'column', 'src', 'image_sha256', 'old_alt', 'alt', 'reason', 'cached', 'usage', 'cost', 'error']);
    expect(JSON.parse(line)).toEqual(altRecord(given));
  });

  it('keeps nulls for what is not known (an image that could not be read)', () => {
    const r = altRecord({
      doc: 'a.md',
      line: 1,
      column: 1,
      src: 'gone.png',
      image_sha256: null,
      old_alt: null,
      alt: null,
      reason: 'missing',
      cached: false,
      usage: null,
      cost: null,
      error: { code: 3, type: 'InputError', message: 'gone.png: no such file.' },
    });
    expect(jsonlRecord(r)).toBe(
      '{"doc":"a.md","line":1,"column":1,"src":"gone.png","image_sha256":null,"old_alt":null,"alt":null,"reason":"missing","cached":false,"usage":null,"cost":null,"error":{"code":3,"type":"InputError","message":"gone.png: no such file."}}\n',
    );
  });
});

describe('markdownReport', () => {
  const row = (over: Partial<ReportRow>): ReportRow => ({
    doc: 'docs/a.md',
    line: 1,
    column: 1,
    src: 'a.png',
    link: 'docs/a.png',
    reason: 'missing',
    oldAlt: null,
    alt: 'A cat',
    error: null,
    ...over,
  });

  it('has a section per document with a row per image: place, link, why, old and new alt text', () => {
    const md = markdownReport(
      [
        row({ doc: 'docs/b.md', line: 4, src: 'b c.png', link: 'docs/b c.png', reason: 'generic', oldAlt: 'image', alt: 'A dog' }),
        row({ line: 9, column: 3, oldAlt: '', reason: 'missing', alt: 'The login form' }),
      ],
      { title: 'Alt text', summary: '2 images in 2 documents' },
    );
    expect(md).toBe(
      [
        '## Alt text',
        '',
        '2 images in 2 documents',
        '',
        '### docs/a.md',
        '',
        '| Line | Image | Why | Old alt text | New alt text |',
        '| --: | --- | --- | --- | --- |',
        '| 9:3 | [a.png](docs/a.png) | missing | _(empty)_ | The login form |',
        '',
        '### docs/b.md',
        '',
        '| Line | Image | Why | Old alt text | New alt text |',
        '| --: | --- | --- | --- | --- |',
        '| 4:1 | [b c.png](docs/b%20c.png) | generic | image | A dog |',
        '',
      ].join('\n'),
    );
  });

  it('escapes what would break the table or read as markup, and shows failures', () => {
    const md = markdownReport([row({ alt: null, oldAlt: 'a | b *c* <script>', error: 'kimi: rate limited\nafter 3 attempts', link: undefined, src: 'x_y.png' })]);
    expect(md).toContain('| 1:1 | x\\_y.png | missing | a \\| b \\*c\\* \\<script\\> | **failed:** kimi: rate limited after 3 attempts |');
  });

  it("says why an image was not captioned when nothing failed, and --all's reason", () => {
    const md = markdownReport([
      row({ alt: null, skipped: 'remote image, --no-remote', link: 'https://e.com/a.png' }),
      row({ line: 2, reason: 'all', oldAlt: 'A cat', alt: 'A grey cat' }),
    ]);
    expect(md).toContain('| 1:1 | [a.png](https://e.com/a.png) | missing | _(none)_ | _(not captioned: remote image, --no-remote)_ |');
    expect(md).toContain('| 2:1 | [a.png](docs/a.png) | all | A cat | A grey cat |');
  });

  it('without proposed alt texts (--check) leaves the new column out', () => {
    const md = markdownReport([row({ alt: null, oldAlt: 'image', reason: 'generic' })], { title: 'Images without alt text', proposed: false });
    expect(md).toBe(
      [
        '## Images without alt text',
        '',
        '### docs/a.md',
        '',
        '| Line | Image | Why | Alt text |',
        '| --: | --- | --- | --- |',
        '| 1:1 | [a.png](docs/a.png) | generic | image |',
        '',
      ].join('\n'),
    );
  });

  it('says so when every image has alt text', () => {
    expect(markdownReport([])).toBe('## Alt text\n\nEvery image has alt text.\n');
  });

  it.each<[string, string]>([
    ['plain', 'plain'],
    ['a|b', 'a\\|b'],
    ['line\nbreak', 'line break'],
    ['[link](x)', '\\[link\\](x)'],
    ['&amp; &', '\\&amp; &'],
    ['# not a heading', '\\# not a heading'],
  ])('escapeCell(%j)', (s, out) => {
    expect(escapeCell(s)).toBe(out);
  });
});
