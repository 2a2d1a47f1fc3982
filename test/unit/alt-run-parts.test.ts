// The pure parts of an alt run: its settings, the check of an answer, which place of a shared caption
// carries its cost, how documents and captions are counted, and the totals' lines.
import { describe, expect, it } from 'vitest';
import { captionIndex, firstFailure } from '../../src/alt/captions.js';
import type { Caption } from '../../src/alt/job.js';
import type { AltDoc } from '../../src/alt/load.js';
import { scanLine } from '../../src/alt/load.js';
import { altSettings, languageTag } from '../../src/alt/options.js';
import { altOfAnswer, answerOutcome, failureOutcome } from '../../src/alt/outcome.js';
import { planDocument } from '../../src/alt/plan.js';
import { docOutput, withWriteFailure } from '../../src/alt/records.js';
import { AltTotals } from '../../src/alt/totals.js';
import { InputError, UsageError } from '../../src/errors.js';
import type { Image } from '../../src/inputs/image.js';

describe('altSettings', () => {
  it.each<[string, Record<string, unknown>, Partial<ReturnType<typeof altSettings>>]>([
    [
      'the default: a patch, 125 characters, the page language, remote images read',
      {},
      { mode: 'diff', format: 'default', maxChars: 125, lang: undefined, remote: true, concurrency: 4, cache: false, root: '/site' },
    ],
    ['--check with jsonl', { check: true, format: 'jsonl' }, { mode: 'check', format: 'jsonl' }],
    ['--write --all --no-remote', { write: true, all: true, remote: false }, { mode: 'write', all: true, remote: false }],
    ['--dry-run, -j 8, --max-chars 80', { dryRun: true, concurrency: 8, maxChars: 80 }, { mode: 'dry-run', concurrency: 8, maxChars: 80 }],
    ['--lang in its canonical form', { lang: 'PT-br' }, { lang: 'pt-BR' }],
    ['--cache or KIMI_VISION_CACHE', { cache: true }, { cache: true }],
  ])('%s', (_, flags, want) => {
    expect(altSettings(flags, {}, '/site')).toMatchObject(want);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['two modes', { check: true, dryRun: true }, /--check and --dry-run cannot be combined/],
    ['a format alt does not print', { format: 'text' }, /--format text: alt prints jsonl or markdown/],
    ['the report of a dry run', { dryRun: true, format: 'markdown' }, /--dry-run prints a list/],
    ['a language that is no code', { lang: 'english please' }, /not a language code/],
    ['a root that is not a folder', { root: 'package.json' }, /--root package\.json: not a folder/],
  ])('refuses %s (exit 2)', (_, flags, message) => {
    expect(() => altSettings(flags, {}, process.cwd())).toThrow(UsageError);
    expect(() => altSettings(flags, {}, process.cwd())).toThrow(message);
  });

  it('KIMI_VISION_CACHE=1 turns the cache on; languageTag keeps a valid tag', () => {
    expect(altSettings({}, { KIMI_VISION_CACHE: '1' }, '/').cache).toBe(true);
    expect(languageTag('zh-Hant')).toBe('zh-Hant');
  });
});

describe('altOfAnswer', () => {
  it.each<[string, { text: string; finishReason: string | undefined }, number, string]>([
    ['a plain answer', { text: 'A bar chart of sales by month', finishReason: 'stop' }, 125, 'alt: A bar chart of sales by month'],
    ['quotes and a label are taken off', { text: 'Alt text: "A red dot"', finishReason: 'stop' }, 125, 'alt: A red dot'],
    ['over the limit', { text: 'x'.repeat(20), finishReason: 'stop' }, 10, 'too_long: the alt text is 20 characters, over the limit of 10.'],
    ['empty', { text: ' \n ', finishReason: 'stop' }, 125, 'empty: the model answered with no alt text.'],
    [
      'cut off at the token limit, however it reads',
      { text: 'A settings', finishReason: 'length' },
      125,
      'cut_off: the answer was cut off at the output token limit (finish_reason length).',
    ],
    [
      'stopped by the content filter',
      { text: '', finishReason: 'content_filter' },
      125,
      "content_filter: the answer was stopped by Moonshot's content filter (finish_reason content_filter).",
    ],
  ])('%s', (_, answer, max, want) => {
    const got = altOfAnswer(answer, max);
    expect('alt' in got ? `alt: ${got.alt}` : `${got.error.type}: ${got.error.message}`).toBe(want);
    if (!('alt' in got)) expect(got.error.exitCode).toBe(5);
  });

  it('a paid answer that fails keeps its usage and cost; a cache hit costs nothing; an unreadable image is bad_input (exit 3)', () => {
    const usage = { prompt_tokens: 400, completion_tokens: 30, total_tokens: 430 };
    const failed = answerOutcome({ model: 'kimi-k2.6', text: 'x'.repeat(200), finishReason: 'stop', usage }, 'kimi-k2.6', 'CNY', 125, false).outcome;
    expect(failed).toMatchObject({ kind: 'failed', usage, error: { code: 5, type: 'too_long' } });
    expect(failed.kind === 'failed' && failed.cost!.amount).toBeGreaterThan(0);
    const hit = answerOutcome({ model: 'kimi-k2.6', text: 'A red dot', finishReason: 'stop', usage }, 'kimi-k2.6', 'CNY', 125, true).outcome;
    expect(hit).toEqual({ kind: 'alt', alt: 'A red dot', cached: true, usage, cost: { amount: 0, currency: 'CNY' } });
    expect(failureOutcome(new InputError('a.png: no such file.'))).toEqual({
      kind: 'failed',
      error: { code: 3, type: 'bad_input', message: 'a.png: no such file.' },
      usage: null,
      cost: null,
    });
  });
});

/** Two documents planned as the command plans them, and the captions grouping their tasks. */
function twoDocs(): { docs: AltDoc[]; captions: Caption[] } {
  const load = (shownAs: string, text: string): AltDoc => {
    const doc = { file: `/site/${shownAs}`, shownAs, kind: 'markdown' as const, text, bytes: Buffer.from(text) };
    return { ok: true, doc, plan: planDocument(doc, { root: '/site' }) };
  };
  const docs = [load('a.md', '# A\n\nOne ![](x.png) two ![image](x.png).\n\n![](gone.png)\n'), load('b.md', '# B\n\n![Fine](x.png)\n')];
  const image = {
    path: 'x.png',
    sha256: 'ab'.repeat(32),
    kind: 'image',
    mime: 'image/png',
    bytes: 1,
    dimensions: undefined,
    source: { kind: 'file', file: '/site/x.png' },
  } as Image;
  const captions: Caption[] = [
    {
      name: 'x.png',
      source: { kind: 'file', file: '/site/x.png' },
      prompt: 'p',
      uses: [
        { doc: 0, task: 0, place: 'a.md:3:5' },
        { doc: 0, task: 1, place: 'a.md:3:20' },
      ],
      input: { kind: 'image', image },
    },
    {
      name: 'gone.png',
      source: { kind: 'file', file: '/site/gone.png' },
      prompt: 'p',
      uses: [{ doc: 0, task: 2, place: 'a.md:5:1' }],
      input: { kind: 'failed', error: new InputError('gone.png: no such file.') },
    },
  ];
  return { docs, captions };
}

describe('docOutput and the counts', () => {
  it('a caption used twice gives both places its alt text; only the first carries the usage and cost', () => {
    const { docs, captions } = twoDocs();
    const d = docs[0] as Extract<AltDoc, { ok: true }>;
    const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 };
    const outcomes = [
      { kind: 'alt', alt: 'A red dot', cached: false, usage, cost: { amount: 0.01, currency: 'CNY' } } as const,
      failureOutcome(new InputError('gone.png: no such file.')),
    ];
    const index = captionIndex(docs, captions);
    expect(index).toEqual([[0, 0, 1], []]);
    const results = d.plan.tasks.map((task, t) => ({ task, caption: captions[index[0]![t]!]!, first: t !== 1, outcome: outcomes[index[0]![t]!] }));
    const out = docOutput(results, '/site');
    expect(out.records.map((r) => [r.column, r.alt, r.usage === null, r.cost === null, r.error?.type ?? null])).toEqual([
      [5, 'A red dot', false, false, null],
      [20, 'A red dot', true, true, null],
      [1, null, true, true, 'bad_input'],
    ]);
    expect(out.edits.map((e) => e.alt)).toEqual(['A red dot', 'A red dot']);
    expect(out.rows.map((r) => r.link)).toEqual(['x.png', 'x.png', 'gone.png']);
    const unwritten = withWriteFailure(out.records, { code: 75, type: 'changed_on_disk', message: 'a.md: changed' });
    expect(unwritten.map((r) => r.error?.type)).toEqual(['changed_on_disk', 'changed_on_disk', 'bad_input']);
    expect(firstFailure(docs, captions, index)).toBe(3);
    expect(scanLine(docs, false)).toBe('2 documents: 4 images, 3 without alt text (2 missing, 1 generic)');
  });

  it('the totals: the progress line, the closing line, and what became of the documents', () => {
    const t = new AltTotals(4, 'CNY');
    t.add({ kind: 'alt', alt: 'a', cached: true, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, cost: { amount: 0, currency: 'CNY' } });
    t.add({ kind: 'skipped', why: 'remote image, --no-remote' });
    t.spend({ prompt_tokens: 1200, completion_tokens: 40, cost: 0.0123, priced: true });
    t.add(failureOutcome(new InputError('x')));
    expect(t.progress()).toBe('1/4 images captioned, 1 failed, ¥0.012 so far');
    expect(t.summary(1500)).toBe('1 image captioned (1 from cache), 1 failed, 1 not captioned (--no-remote), 1 not done · 1,200 prompt + 40 completion tokens · ¥0.012 · 1.50 s');
    expect([t.changes('write'), t.changes('patch'), t.changes('proposed')]).toEqual(['no document changed', 'nothing to change: the patch is empty', 'no new alt text']);
    t.changed(3);
    t.changed(0);
    t.changed(1);
    expect([t.changes('write'), t.changes('patch'), t.changes('proposed')]).toEqual([
      'wrote 4 alt texts into 2 documents',
      'the patch holds 4 alt texts for 2 documents',
      '4 alt texts proposed for 2 documents',
    ]);
  });
});
