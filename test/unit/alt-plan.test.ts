// planDocument and the prompt: which images are taken and why, where they are, in which language,
// which share a caption; the prompt's parts and the check of the model's answer.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFindings, planDocument } from '../../src/alt/plan.js';
import { altFromAnswer, altPrompt, charCount, languageName } from '../../src/alt/prompt.js';

const CORPUS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'alt');
const doc = (name: string, kind: 'markdown' | 'mdx' | 'html' = 'markdown', text = readFileSync(path.join(CORPUS, name), 'utf8')) => ({
  shownAs: `docs/${name}`,
  file: path.join('/site/docs', name),
  kind,
  text,
});

describe('planDocument', () => {
  it('takes the images whose alt text is missing, says why, and where each one is', () => {
    const plan = planDocument(doc('page.html', 'html'), { root: '/site' });
    expect(plan.images.length).toBe(6);
    expect(plan.tasks.map((t) => [t.image.src, t.verdict?.reason, t.source])).toEqual([
      ['home.png', 'generic', { kind: 'file', file: '/site/docs/home.png' }],
      ['multi-line.png', 'missing', { kind: 'file', file: '/site/docs/multi-line.png' }],
      ['spaces.png', 'missing', { kind: 'file', file: '/site/docs/spaces.png' }],
    ]);
    expect(plan.notes.map((n) => n.message)).toEqual(['<img> without a src; skipped']);
  });

  it('--all adds the images that have alt text, never the decorative ones', () => {
    const plan = planDocument(doc('page.html', 'html'), { root: '/site', all: true });
    expect(plan.tasks.map((t) => [t.image.src, t.verdict?.reason ?? 'fine'])).toEqual([
      ['home.png', 'generic'],
      ['multi-line.png', 'missing'],
      ['described.png', 'fine'],
      ['spaces.png', 'missing'],
    ]);
    expect(checkFindings(plan).map((f) => f.src)).toEqual(['home.png', 'multi-line.png', 'spaces.png']);
  });

  it('resolves root-relative sources under the root, and gives the --check findings', () => {
    const plan = planDocument(doc('references.md'), { root: '/site' });
    expect(plan.tasks[0]?.source).toEqual({ kind: 'file', file: '/site/docs/img/logo.png' });
    expect(checkFindings(plan)).toEqual([
      { doc: 'docs/references.md', line: 5, column: 1, src: 'img/logo.png', finding: 'missing alt text' },
      { doc: 'docs/references.md', line: 5, column: 11, src: 'img/an icon.png', finding: 'file-name alt "An icon"' },
      { doc: 'docs/references.md', line: 5, column: 28, src: 'img/logo.png', finding: 'file-name alt "logo"' },
      { doc: 'docs/references.md', line: 5, column: 38, src: 'img/logo.png', finding: 'file-name alt "Logo"' },
      { doc: 'docs/references.md', line: 7, column: 2, src: 'img/logo.png', finding: 'missing alt text' },
    ]);
  });

  it('gives one caption to the same image in the same context, another elsewhere', () => {
    const text = '# A\n\nThe dashboard: ![](d.png) and again ![](./d.png).\n\n# B\n\nThe same file under another heading: ![](d.png)\n';
    const keys = planDocument(doc('x.md', 'markdown', text), { root: '/site' }).tasks.map((t) => t.key);
    expect(keys.length).toBe(3);
    expect(keys[0]).toBe(keys[1]); // one paragraph, one file (however its path is written): one caption
    expect(keys[2]).not.toBe(keys[0]);
    const twice = '# A\n\n![](d.png)\n\n![](d.png)\n';
    const [k1, k2] = planDocument(doc('y.md', 'markdown', twice), { root: '/site' }).tasks.map((t) => t.key);
    expect(k1).toBe(k2);
  });

  it('writes in the language of the text around each image, or of the document when that is short, or --lang', () => {
    const text =
      '# Einstellungen\n\nÖffnen Sie die Einstellungen und klicken Sie auf Speichern, wenn der Dialog erscheint.\n\n![](a.png)\n\n## 设置\n\n![](b.png) 打开设置对话框，然后点击保存按钮，等待对话框关闭，再检查结果是否正确显示在页面上。\n';
    const plan = planDocument(doc('z.md', 'markdown', text), { root: '/site' });
    expect(plan.tasks.map((t) => t.lang)).toEqual(['de', 'zh']);
    expect(planDocument(doc('z.md', 'markdown', text), { root: '/site', lang: 'fr' }).tasks.map((t) => t.lang)).toEqual(['fr', 'fr']);
  });
});

describe('altPrompt', () => {
  it('gives the heading and text as quoted page text, the limit and the language', () => {
    const p = altPrompt({ heading: 'Settings', text: 'Click Save when done.' }, { maxChars: 125, lang: 'de' });
    expect(p).toContain('Write the alt text for this image');
    expect(p).toContain('"""\nSection: Settings\nClick Save when done.\n"""');
    expect(p).toMatch(/at most 125 characters, in German, without quotes\.$/);
  });

  it('-p replaces the instruction; the page text and limits stay', () => {
    const p = altPrompt({ heading: '', text: 'Some text.' }, { maxChars: 80, lang: 'en', instruction: 'Describe the chart for alt text.' });
    expect(p.startsWith('Describe the chart for alt text.\n')).toBe(true);
    expect(p).not.toContain('screen reader');
    expect(p).toContain('Some text.');
    expect(p).toContain('at most 80 characters, in English');
  });

  it('leaves the page part out when there is no text around the image', () => {
    expect(altPrompt({ heading: '', text: '' }, { maxChars: 125, lang: 'en' })).not.toContain('"""');
  });

  it.each([
    ['de', 'German'],
    ['zh', 'Chinese'],
    ['pt', 'Portuguese'],
    ['not a code!', 'not a code!'],
  ])('names %s as %s', (code, name) => {
    expect(languageName(code)).toBe(name);
  });
});

describe('altFromAnswer', () => {
  it.each<[string, string]>([
    ['A settings dialog with the Save button cut off.', 'A settings dialog with the Save button cut off.'],
    ['  "A settings dialog."\n', 'A settings dialog.'],
    ['“Ein Dialog.”', 'Ein Dialog.'],
    ['Alt text: A bar chart of sales', 'A bar chart of sales'],
    ['**Alt text:** A bar chart', 'A bar chart'],
    ['A chart\nof sales\tby month', 'A chart of sales by month'],
    ['"Save" and "Cancel" buttons', '"Save" and "Cancel" buttons'],
  ])('%j -> %j', (answer, alt) => {
    expect(altFromAnswer(answer, 125)).toEqual({ alt });
  });

  it('refuses an empty answer and one over the limit, saying so', () => {
    expect(altFromAnswer(' "" ', 125)).toEqual({ error: 'empty', message: 'the model answered with no alt text' });
    expect(altFromAnswer('x'.repeat(126), 125)).toEqual({ error: 'too_long', message: 'the alt text is 126 characters, over the limit of 125' });
    expect(altFromAnswer('👍🏽'.repeat(125), 125)).toEqual({ alt: '👍🏽'.repeat(125) }); // characters as a reader counts them
    expect(charCount('e\u0301👍🏽')).toBe(2);
  });
});
