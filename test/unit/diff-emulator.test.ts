// The emulator answers the diff requests that src/diff/prompt.ts builds (as the body writer sends
// them) with the JSON shape diff asks for: deterministic per pair, as_expected following the
// expectation, and malformed on demand so the one retry can be exercised.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDiffAnswer, diffResponseFormat } from '../../src/diff/answer.js';
import { resolvePairs } from '../../src/diff/pairs.js';
import type { LocalFacts } from '../../src/diff/pixels.js';
import { aloneMessages, diffMessages, retryMessages, type DiffAsk } from '../../src/diff/prompt.js';
import type { Message } from '../../src/request/messages.js';
import { bodyToString, planBody } from '../../src/request/body.js';
import { DIFF_REGIONS, malformedDiffReply } from '../emulator/diff-answer.js';
import { chat, closeAll, emulator, imagePart, joinDeltas, png, sseChunks, userMessage } from '../emulator/testkit.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const S = { width: 200, height: 120 };
const facts: LocalFacts = { status: 'changed', compared: 'pixels', before: S, after: S, pixelsChanged: 5, bbox: { x: 12, y: 70, width: 78, height: 20 } };
afterAll(closeAll);

async function request(kase: string, ask: DiffAsk = {}, model = 'kimi-k2.6') {
  const { entries } = await resolvePairs([`fixtures/diff/${kase}/before.png`, `fixtures/diff/${kase}/after.png`], ROOT);
  const e = entries[0];
  if (e?.status !== 'pair') throw new Error('not a pair');
  const messages = diffMessages(e.before, e.after, facts, ask);
  const expecting = (ask.expect ?? '') !== '';
  return {
    messages,
    model,
    params: { model, thinking: model === 'kimi-k2.6' ? { type: 'disabled' } : undefined, response_format: diffResponseFormat(model, expecting) },
    expecting,
  };
}

async function send(emu: Awaited<ReturnType<typeof emulator>>, params: Record<string, unknown>, messages: Message[], stream = false): Promise<string> {
  const body = JSON.parse(await bodyToString(planBody({ ...params, stream }, messages)));
  const res = await chat(emu, body);
  expect(res.status).toBe(200);
  if (stream) return joinDeltas(sseChunks(await res.text()), 'content');
  return ((await res.json()) as any).choices[0].message.content;
}

describe('the emulator answering diff requests', () => {
  it('answers in the shape diff checks, the same for the same pair, streamed or not', async () => {
    const emu = await emulator();
    const r = await request('moved');
    const text = await send(emu, r.params, r.messages);
    const check = checkDiffAnswer(text, false);
    expect(check).toMatchObject({ ok: true, answer: { changed: true, as_expected: null } });
    expect(check.ok && check.answer.changes.length).toBeGreaterThan(0);
    expect(await send(emu, r.params, r.messages)).toBe(text);
    expect(await send(emu, r.params, r.messages, true)).toBe(text);
    const other = await request('color');
    expect(await send(emu, other.params, other.messages)).not.toBe(text);
  });

  it('identical images: nothing changed', async () => {
    const emu = await emulator();
    const r = await request('same-bytes');
    expect(JSON.parse(await send(emu, r.params, r.messages))).toEqual({ changed: false, summary: 'No visible change.', changes: [], as_expected: null });
  });

  it('as_expected: true when the expectation names every changed region, false when it names none', async () => {
    const emu = await emulator();
    const all = await request('color', { expect: `changes to ${DIFF_REGIONS.join(', ')}` });
    expect(JSON.parse(await send(emu, all.params, all.messages)).as_expected).toBe(true);
    const none = await request('color', { expect: 'nothing at all' });
    const answer = JSON.parse(await send(emu, none.params, none.messages));
    expect(answer.as_expected).toBe(false);
    expect(checkDiffAnswer(JSON.stringify(answer), true).ok).toBe(true);
    const same = await request('same-bytes', { expect: 'the Save button is now blue' });
    expect(JSON.parse(await send(emu, same.params, same.messages)).as_expected).toBe(false);
  });

  it('answers under json_schema too (kimi-k3)', async () => {
    const emu = await emulator();
    const r = await request('text', { expect: 'a new title in the header' }, 'kimi-k3');
    expect(r.params.response_format.type).toBe('json_schema');
    expect(checkDiffAnswer(await send(emu, r.params, r.messages), true).ok).toBe(true);
  });

  it.each([
    ['cut', /^it is not valid JSON/],
    ['wrong-kind', /changes\[0\]\.kind is "colour"/],
  ] as const)('malformedDiffReply(1, %s): the first answer fails the check, the retry passes', async (how, problem) => {
    const emu = await emulator({ reply: malformedDiffReply(1, how) });
    const r = await request('moved');
    const first = await send(emu, r.params, r.messages);
    const check = checkDiffAnswer(first, false);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.problem).toMatch(problem);
    const retry = retryMessages(r.messages, first, check.ok ? '' : check.problem);
    expect(checkDiffAnswer(await send(emu, r.params, retry), false).ok).toBe(true);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('answers a file described alone (--describe-new) with what it shows: no changes, as_expected null; the same file, the same answer', async () => {
    const emu = await emulator();
    const { entries } = await resolvePairs(['fixtures/diff/color/before.png', 'fixtures/diff/color/after.png'], ROOT);
    const e = entries[0];
    if (e?.status !== 'pair') throw new Error('not a pair');
    const params = { model: 'kimi-k2.6', thinking: { type: 'disabled' }, response_format: diffResponseFormat('kimi-k2.6', false) };
    const added = await send(emu, params, aloneMessages('added', e.after, {}));
    expect(checkDiffAnswer(added, false).ok).toBe(true);
    expect(JSON.parse(added)).toMatchObject({ changed: true, summary: expect.stringMatching(/^A screen that was added: it shows /), changes: [], as_expected: null });
    expect(await send(emu, params, aloneMessages('added', e.after, {}))).toBe(added);
    expect(JSON.parse(await send(emu, params, aloneMessages('removed', e.before, {}))).summary).toMatch(/^A screen that was removed: /);
  });

  it('leaves other requests alone: a plain describe still gets the default description', async () => {
    const emu = await emulator({ reply: malformedDiffReply(5) });
    const body = { model: 'kimi-k2.6', messages: [userMessage('Before: and After: are just words here', imagePart(png(8, 8)))] };
    const res = await chat(emu, body);
    expect(((await res.json()) as any).choices[0].message.content).toMatch(/^我看到 1 张图片。/);
  });
});
