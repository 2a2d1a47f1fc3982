// How diff results read: text sections, the Markdown report (side-by-side links, unchanged pairs
// folded, escaping), the status words and the counts line.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countsLine, markdownFooter, markdownHeader, markdownSection, pairLinks, statusWords, textSection } from '../../src/diff/formats.js';
import { resolvePairs } from '../../src/diff/pairs.js';
import type { DiffRecord } from '../../src/diff/record.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const base: DiffRecord = {
  before: 'base/settings.png',
  after: 'cur/settings.png',
  status: 'changed',
  pixels_changed: 3.6833,
  bbox: { x: 148, y: 92, width: 43, height: 21 },
  summary: 'The Save button turned blue.',
  changes: [
    { where: 'the Save button', what: 'grey to blue', kind: 'color' },
    { where: 'title', what: 'now "Preferences"', kind: 'text' },
  ],
  as_expected: null,
  cached: false,
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost: { amount: 0, currency: 'CNY' },
  error: null,
};
const r = (over: Partial<DiffRecord>): DiffRecord => ({ ...base, ...over });
const failed = r({ status: 'error', summary: '', changes: [], error: { code: 5, type: 'invalid_json', message: 'the answer is not the JSON asked for:\nit is cut' } });

describe('statusWords', () => {
  it.each<[string, DiffRecord, string]>([
    ['changed', base, 'changed, 3.68% of pixels'],
    ['changed, bytes only', r({ pixels_changed: null }), 'changed'],
    ['same', r({ status: 'same', pixels_changed: 0 }), 'same'],
    ['same within the threshold', r({ status: 'same', pixels_changed: 0.5 }), 'same (0.5% of pixels differ, within --threshold)'],
    ['added', r({ status: 'added', before: null, pixels_changed: null }), 'added'],
    ['removed', r({ status: 'removed', after: null, pixels_changed: null }), 'removed'],
    ['error', failed, 'error (invalid_json)'],
  ])('%s', (_name, record, words) => {
    expect(statusWords(record)).toBe(words);
  });
});

describe('text', () => {
  it('a header with both paths and the status, the summary, each change, the expectation', () => {
    expect(textSection(r({ as_expected: false }), true)).toBe(
      [
        '==> base/settings.png -> cur/settings.png <== changed, 3.68% of pixels',
        'The Save button turned blue.',
        '  - the Save button: grey to blue [color]',
        '  - title: now "Preferences" [text]',
        'as expected: no',
        '',
      ].join('\n'),
    );
  });

  it('a blank line between sections; same, added and failed pairs are a header alone', () => {
    expect(textSection(r({ status: 'same', pixels_changed: 0, summary: '', changes: [] }), false)).toBe('\n==> base/settings.png -> cur/settings.png <== same\n');
    expect(textSection(r({ status: 'added', before: null, pixels_changed: null, summary: '', changes: [] }), true)).toBe('==> (none) -> cur/settings.png <== added\n');
    expect(textSection(failed, true)).toBe('==> base/settings.png -> cur/settings.png <== error (invalid_json)\n');
  });

  it("keeps the model's multi-line summary on one line", () => {
    expect(textSection(r({ summary: 'Two things:\n  the button\nand the title.', changes: [] }), true)).toContain('\nTwo things: the button and the title.\n');
  });
});

describe('markdown', () => {
  it('a changed pair: heading with status, before and after side by side, summary, changes, expectation', () => {
    const md = markdownSection(r({ as_expected: true }), { before: 'base/settings.png', after: 'cur/settings.png' });
    expect(md).toBe(
      [
        '### cur/settings.png · changed, 3.68% of pixels',
        '',
        '| Before | After |',
        '|---|---|',
        '| ![before](base/settings.png) | ![after](cur/settings.png) |',
        '',
        'The Save button turned blue.',
        '',
        '- **color** · the Save button: grey to blue',
        '- **text** · title: now "Preferences"',
        '',
        '**As expected:** yes ✅',
        '',
        '',
      ].join('\n'),
    );
  });

  it('links are relative to the current folder and percent-encoded', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-diff-md-'));
    for (const side of ['old shots', 'new (2)']) {
      mkdirSync(path.join(dir, side, 'café'), { recursive: true });
      copyFileSync(path.join(ROOT, 'fixtures/diff/color/before.png'), path.join(dir, side, 'café', 'log in#1.png'));
    }
    const { entries } = await resolvePairs(['old shots', 'new (2)'], dir);
    expect(pairLinks(entries[0]!, dir)).toEqual({ before: 'old%20shots/caf%C3%A9/log%20in%231.png', after: 'new%20%282%29/caf%C3%A9/log%20in%231.png' });
    expect(pairLinks(entries[0]!, path.join(dir, 'new (2)'))).toMatchObject({ before: '../old%20shots/caf%C3%A9/log%20in%231.png' });
    const { entries: folders } = await resolvePairs(['fixtures/diff/baseline', 'fixtures/diff/current'], ROOT);
    const added = folders.find((e) => e.status === 'added')!;
    expect(pairLinks(added, ROOT)).toEqual({ before: undefined, after: 'fixtures/diff/current/new-footer.png' });
  });

  it('an added file shows "(none)" before it; a failure is a blockquote; a same pair prints nothing', () => {
    const added = markdownSection(r({ status: 'added', before: null, pixels_changed: null, summary: '', changes: [] }), { before: undefined, after: 'cur/settings.png' });
    expect(added).toContain('| _(none)_ | ![after](cur/settings.png) |');
    expect(markdownSection(failed, { before: 'b', after: 'a' })).toContain('> **Failed** (invalid_json, exit 5): the answer is not the JSON asked for: it is cut\n');
    expect(markdownSection(r({ status: 'same', pixels_changed: 0 }), { before: 'b', after: 'a' })).toBe('');
  });

  it('escapes paths in headings and keeps the model from writing HTML', () => {
    const md = markdownSection(r({ after: 'cur/*draft*_[1].png', summary: 'A <script> tag\nappeared.', changes: [] }), { before: 'b', after: 'a' });
    expect(md).toContain('### cur/\\*draft\\*\\_\\[1\\].png · changed');
    expect(md).toContain('\nA &lt;script&gt; tag appeared.\n');
  });

  it('the footer folds unchanged pairs into a count (naming at most 50) and ends with the counts', () => {
    const same = Array.from({ length: 52 }, (_, i) => r({ status: 'same', pixels_changed: 0, after: `cur/${i}.png` }));
    const footer = markdownFooter([base, ...same]);
    expect(footer.startsWith('<details><summary>52 unchanged pairs</summary>\n\n- cur/0.png\n')).toBe(true);
    expect(footer).toContain('- cur/49.png\n- … and 2 more\n\n</details>\n');
    expect(footer).not.toContain('cur/50.png');
    expect(footer.endsWith('---\n\n53 pairs: 1 changed, 52 same\n')).toBe(true);
    expect(markdownFooter([base])).toBe('---\n\n1 pair: 1 changed\n');
    expect(markdownHeader()).toBe('## Visual changes\n\n');
  });
});

describe('countsLine', () => {
  it.each<[DiffRecord[], string]>([
    [[], '0 pairs'],
    [[base], '1 pair: 1 changed'],
    [[base, r({ status: 'same' }), r({ status: 'added' }), r({ status: 'removed' }), failed], '5 pairs: 1 changed, 1 added, 1 removed, 1 same, 1 failed'],
    [[r({ as_expected: false }), r({ as_expected: true })], '2 pairs: 2 changed; 1 not as expected'],
  ])('%#', (records, line) => {
    expect(countsLine(records)).toBe(line);
  });
});
