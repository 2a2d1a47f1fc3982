// The diff answer: the local check (good, malformed, wrong kinds, the as_expected rules) in words a
// retry can quote, its agreement with the JSON Schema sent to the API, and which response_format
// each model gets.
import { describe, expect, it } from 'vitest';
import { checkDiffAnswer, diffAnswerSchema, diffResponseFormat } from '../../src/diff/answer.js';
import { compileSchema } from '../../src/results/json-check.js';

const good = { changed: true, summary: 'The Save button turned blue.', changes: [{ where: 'the Save button', what: 'grey to blue', kind: 'color' }], as_expected: null };
const json = (v: unknown) => JSON.stringify(v);

describe('checkDiffAnswer', () => {
  it('takes a good answer, without and with an expectation', () => {
    expect(checkDiffAnswer(json(good), false)).toEqual({ ok: true, answer: good });
    expect(checkDiffAnswer(json({ ...good, as_expected: true }), true)).toEqual({ ok: true, answer: { ...good, as_expected: true } });
    expect(checkDiffAnswer(json({ changed: false, summary: 'Nothing.', changes: [], as_expected: false }), true)).toMatchObject({ ok: true });
  });

  it('drops keys the shape does not have, and reads an answer wrapped in a ```json fence', () => {
    const extra = { ...good, confidence: 0.9, changes: [{ ...good.changes[0], box: [1, 2] }] };
    expect(checkDiffAnswer(json(extra), false)).toEqual({ ok: true, answer: good });
    expect(checkDiffAnswer('```json\n' + json(good) + '\n```', false)).toEqual({ ok: true, answer: good });
  });

  it.each([
    ['cut off', '{"changed": true, "summary": "The Sa', false, /^it is not valid JSON \(/],
    ['not an object', '[1, 2]', false, /^it is not a JSON object$/],
    ['empty', '', false, /^it is not valid JSON/],
    [
      'a kind outside the list',
      json({ ...good, changes: [{ where: 'a', what: 'b', kind: 'colour' }] }),
      false,
      /^changes\[0\]\.kind is "colour": it must be one of layout, text, color, content, other$/,
    ],
    ['a missing kind', json({ ...good, changes: [{ where: 'a', what: 'b' }] }), false, /^changes\[0\]\.kind is missing: it must be one of/],
    ['a change that is a string', json({ ...good, changes: ['the button'] }), false, /^changes\[0\] is "the button": it must be an object with "where", "what" and "kind"$/],
    ['changed as a string', json({ ...good, changed: 'yes' }), false, /^"changed" is "yes": it must be true or false$/],
    ['no summary', json({ ...good, summary: undefined }), false, /^"summary" is missing: it must be a string$/],
    ['changes not an array', json({ ...good, changes: {} }), false, /^"changes" is \{\}: it must be an array/],
    ['as_expected given without --expect', json({ ...good, as_expected: true }), false, /^"as_expected" is true: it must be null \(no expected change was given\)$/],
    ['as_expected null with --expect', json(good), true, /^"as_expected" is null: it must be true or false \(an expected change was given\)$/],
    ['as_expected missing', json({ ...good, as_expected: undefined }), false, /^"as_expected" is missing: it must be null/],
    ['changed false with changes listed', json({ ...good, changed: false }), false, /^"changed" is false but "changes" lists changes/],
  ])('%s: refused, saying why', (_name, text, expecting, problem) => {
    const r = checkDiffAnswer(text, expecting);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toMatch(problem);
  });

  it('lists several problems at once (at most five), so one retry can fix them all', () => {
    const r = checkDiffAnswer(json({ changed: 1, summary: 2, changes: [{ kind: 'x' }], as_expected: 'no' }), false);
    expect(r.ok ? '' : r.problem.split('; ')).toHaveLength(5);
  });
});

describe('the JSON Schema', () => {
  // Every answer above that breaks no cross-field rule: the schema and the local check agree.
  const answers: [unknown, boolean][] = [
    [good, false],
    [{ ...good, as_expected: true }, true],
    [{ ...good, as_expected: true }, false],
    [good, true],
    [{ ...good, changes: [{ where: 'a', what: 'b', kind: 'colour' }] }, false],
    [{ ...good, changes: [{ where: 'a', what: 'b' }] }, false],
    [{ ...good, changes: ['x'] }, false],
    [{ ...good, changed: 'yes' }, false],
    [{ ...good, summary: 3 }, false],
    [{ changed: true, summary: 's', changes: [] }, false],
    [{ changed: false, summary: 's', changes: [], as_expected: false }, true],
    ...['layout', 'text', 'color', 'content', 'other'].map((kind): [unknown, boolean] => [{ ...good, changes: [{ where: 'w', what: 'x', kind }] }, false]),
  ];

  it.each(answers)('agrees with the local check on %j (expecting: %s)', async (answer, expecting) => {
    const validate = await compileSchema(diffAnswerSchema(expecting));
    expect(validate(answer)).toBe(checkDiffAnswer(json(answer), expecting).ok);
  });

  it('is strict: every property required, no others (as json_schema strict mode wants)', () => {
    const s = diffAnswerSchema(false) as any;
    expect(s.required).toEqual(Object.keys(s.properties));
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.changes.items.required).toEqual(Object.keys(s.properties.changes.items.properties));
    expect(s.properties.changes.items.additionalProperties).toBe(false);
  });

  it.each([
    ['kimi-k3', 'json_schema'],
    ['kimi-k2.6', 'json_object'],
    ['some-future-model', 'json_object'],
  ])('%s gets %s', (model, type) => {
    const f = diffResponseFormat(model, true) as any;
    expect(f.type).toBe(type);
    if (type === 'json_schema') expect(f.json_schema).toEqual({ name: 'visual_diff', schema: diffAnswerSchema(true), strict: true });
  });
});
