// The diff request's user message: labelled images in order, the instruction with the local facts,
// --expect and -p, the JSON shape; as the project's body writer sends it; the retry messages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePairs } from '../../src/diff/pairs.js';
import type { LocalFacts } from '../../src/diff/pixels.js';
import { aloneInstruction, aloneMessages, diffInstruction, diffMessages, factsSentence, percentWords, retryMessages } from '../../src/diff/prompt.js';
import { bodyToString, planBody } from '../../src/request/body.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const S = { width: 200, height: 120 };
const moved: LocalFacts = { status: 'changed', compared: 'pixels', before: S, after: S, pixelsChanged: 5, bbox: { x: 12, y: 70, width: 78, height: 20 } };

async function colorPair() {
  const { entries } = await resolvePairs(['fixtures/diff/color/before.png', 'fixtures/diff/color/after.png'], ROOT);
  const e = entries[0];
  if (e?.status !== 'pair') throw new Error('not a pair');
  return e;
}

describe('diffMessages', () => {
  it('one user message: "Before:", the before image, "After:", the after image, then the instruction', async () => {
    const e = await colorPair();
    const [user, ...rest] = diffMessages(e.before, e.after, moved, {});
    expect(rest).toEqual([]);
    expect(user?.role).toBe('user');
    const parts = user?.content as any[];
    expect(parts.map((p) => p.type)).toEqual(['text', 'media', 'text', 'media', 'text']);
    expect(parts[0]).toEqual({ type: 'text', text: 'Before:' });
    expect(parts[1].image).toBe(e.before);
    expect(parts[2]).toEqual({ type: 'text', text: 'After:' });
    expect(parts[3].image).toBe(e.after);
    expect(parts[4].text).toBe(diffInstruction(moved, {}));
  });

  it('a system message comes first', async () => {
    const e = await colorPair();
    expect(diffMessages(e.before, e.after, moved, { system: 'You review UI changes.' })[0]).toEqual({ role: 'system', content: 'You review UI changes.' });
  });

  it('goes through the body writer as image_url data URLs of the two files, in order', async () => {
    const e = await colorPair();
    const body = JSON.parse(await bodyToString(planBody({ model: 'kimi-k2.6' }, diffMessages(e.before, e.after, moved, {}))));
    const parts = body.messages[0].content;
    const file = (p: string) => `data:image/png;base64,${readFileSync(path.join(ROOT, p)).toString('base64')}`;
    expect(parts[1]).toEqual({ type: 'image_url', image_url: { url: file('fixtures/diff/color/before.png') } });
    expect(parts[3]).toEqual({ type: 'image_url', image_url: { url: file('fixtures/diff/color/after.png') } });
  });
});

describe('diffInstruction', () => {
  it('without --expect: the facts, the shape, and as_expected null', () => {
    const text = diffInstruction(moved, {});
    expect(text).toContain('Describe what changed from before to after');
    expect(text).toContain(`A pixel comparison found: ${factsSentence(moved)}`);
    expect(text).toContain('"kind": "layout" | "text" | "color" | "content" | "other"');
    expect(text).toContain('"as_expected": null}');
    expect(text).toContain('"as_expected" is null: no expected change was given.');
    expect(text).not.toContain('Expected change');
  });

  it('with --expect: the expectation quoted as a JSON string, and as_expected true or false', () => {
    const text = diffInstruction(moved, { expect: '  the "Save" button\nis blue ' });
    expect(text).toContain('Expected change: "the \\"Save\\" button\\nis blue". Say in "as_expected" whether this change happened and nothing else changed.');
    expect(text).toContain('"as_expected": true or false}');
    expect(text).toContain('"as_expected" is true only if the expected change happened and nothing else changed.');
  });

  it('a blank --expect is no expectation', () => {
    expect(diffInstruction(moved, { expect: '   ' })).toBe(diffInstruction(moved, {}));
  });

  it('-p adds its words before the answer shape', () => {
    const text = diffInstruction(moved, { prompt: 'Answer in German.' });
    expect(text.indexOf('Answer in German.')).toBeGreaterThan(text.indexOf('A pixel comparison found'));
    expect(text.indexOf('Answer in German.')).toBeLessThan(text.indexOf('Answer with only a JSON object'));
  });
});

describe('factsSentence', () => {
  it.each<[string, LocalFacts, string]>([
    ['a moved block', moved, 'both are 200x120; 5% of the pixels differ, all inside the box x=12, y=70, 78x20 px from the top left.'],
    [
      'a taller page',
      { ...moved, after: { width: 200, height: 140 }, pixelsChanged: 14.2857, bbox: { x: 0, y: 120, width: 200, height: 20 } },
      'the size changed from 200x120 to 200x140; 14.29% of the pixels differ (of the larger canvas, both images aligned at the top left), all inside the box x=0, y=120, 200x20 px from the top left.',
    ],
    ['bytes only, sizes from the headers', { ...moved, compared: 'bytes', pixelsChanged: null, bbox: null }, 'both are 200x120; the files differ (pixels not compared).'],
    [
      'bytes only, sizes unknown',
      { status: 'changed', compared: 'bytes', before: undefined, after: S, pixelsChanged: null, bbox: null },
      'the files differ (pixels not compared).',
    ],
    [
      'a tiny change',
      { ...moved, pixelsChanged: 0.0001, bbox: { x: 5, y: 5, width: 1, height: 1 } },
      'both are 200x120; under 0.01% of the pixels differ, all inside the box x=5, y=5, 1x1 px from the top left.',
    ],
  ])('%s', (_name, facts, sentence) => {
    expect(factsSentence(facts)).toBe(sentence);
  });
});

describe('percentWords', () => {
  it.each([
    [5, '5%'],
    [3.6833, '3.68%'],
    [14.2857, '14.29%'],
    [100, '100%'],
    [0.004, 'under 0.01%'],
    [0, '0%'],
  ])('%f -> %s', (p, words) => {
    expect(percentWords(p)).toBe(words);
  });
});

describe('retryMessages', () => {
  it('resends the conversation with the failed answer and what was wrong with it', () => {
    const first = [{ role: 'user' as const, content: 'x' }];
    expect(retryMessages(first, '{"changed": 1}', '"changed" is 1: it must be true or false')).toEqual([
      { role: 'user', content: 'x' },
      { role: 'assistant', content: '{"changed": 1}' },
      { role: 'user', content: 'That answer is wrong: "changed" is 1: it must be true or false. Reply with only the corrected JSON object.' },
    ]);
  });
});

describe('retryMessages with reasoning', () => {
  it('the failed answer goes back as the model turn with its reasoning (K3 needs it; request/history.ts drops it for others)', () => {
    const first = [{ role: 'user' as const, content: 'x' }];
    expect(retryMessages(first, '{"changed": 1}', 'bad', 'I compared the two screens.')[1]).toEqual({
      role: 'assistant',
      content: '{"changed": 1}',
      reasoning_content: 'I compared the two screens.',
    });
  });
});

describe('aloneMessages (--describe-new)', () => {
  it.each([
    ['added', 'Added:', 'is new: it has no earlier version'],
    ['removed', 'Removed:', 'was removed: it has no later version'],
  ] as const)('%s: "%s", the image, then the instruction with the same shape and as_expected null', async (side, label, words) => {
    const e = await colorPair();
    const [system, user] = aloneMessages(side, e.after, { system: 'Be brief.', prompt: 'Ignore the clock.', expect: 'a blue button' });
    expect(system).toEqual({ role: 'system', content: 'Be brief.' });
    const parts = user?.content as any[];
    expect(parts.map((p) => p.type)).toEqual(['text', 'media', 'text']);
    expect(parts[0]).toEqual({ type: 'text', text: label });
    expect(parts[1].image).toBe(e.after);
    expect(parts[2].text).toBe(aloneInstruction(side, { prompt: 'Ignore the clock.' }));
    expect(parts[2].text).toContain(words);
    expect(parts[2].text).toContain('Ignore the clock.');
    expect(parts[2].text).toContain('{"changed": true, "summary": "what the screen shows", "changes": [], "as_expected": null}');
    expect(parts[2].text).not.toContain('a blue button'); // no before and after to check it against
  });
});
