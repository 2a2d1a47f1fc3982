import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Image } from '../../src/inputs/image.js';
import { bodyChunks, bodySource, bodyToString, planBody } from '../../src/request/body.js';
import { describeMessages, type Message } from '../../src/request/messages.js';
import { assistantTurn, messagesForModel } from '../../src/request/history.js';
import { estimateMessages } from '../../src/estimate/estimate.js';
import { requestParams } from '../../src/request/params.js';
import { UsageError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kv-body-'));
function fileImage(name: string, data: Buffer, mime = 'image/png'): Image {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { path: name, mime, kind: 'image', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), dimensions: undefined, source: { kind: 'file', file } };
}

describe('the request body', () => {
  it('is exactly JSON.stringify of the naive body, with the size known up front', async () => {
    for (const size of [0, 1, 2, 3, 4, 5, 786431, 786432, 786433, 2_000_000]) {
      const data = Buffer.alloc(size, 7).map((_, i) => (i * 31) & 255) as Buffer;
      const a = fileImage(`a${size}.png`, data);
      const b: Image = { ...a, path: '-', mime: 'image/jpeg', source: { kind: 'memory', data } };
      const messages = describeMessages([a, b], 'Say "hi" \u2028 你好', 'sys');
      const params = { model: 'kimi-k2.6', stream: true };
      const plan = planBody(params, messages);
      const text = await bodyToString(plan);
      const naive = JSON.stringify({
        ...params,
        messages: [
          { role: 'system', content: 'sys' },
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `data:image/png;base64,${data.toString('base64')}` } },
              { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${data.toString('base64')}` } },
              { type: 'text', text: 'Say "hi" \u2028 你好' },
            ],
          },
        ],
      });
      expect(text).toBe(naive);
      expect(plan.bytes).toBe(Buffer.byteLength(naive));
    }
  });

  it('writes videos as video_url parts', async () => {
    const v = fileImage('v.mp4', Buffer.from('abc'), 'video/mp4');
    const body = JSON.parse(await bodyToString(planBody({}, describeMessages([{ ...v, kind: 'video' }], 'p'))));
    expect(body.messages[0].content[0]).toEqual({ type: 'video_url', video_url: { url: 'data:video/mp4;base64,YWJj' } });
  });

  it('refuses to send a file that changed size since it was read', async () => {
    const a = fileImage('grow.png', Buffer.from('abcdef'));
    writeFileSync(a.source.kind === 'file' ? a.source.file : '', Buffer.from('abc'));
    const drain = async () => {
      for await (const _ of bodyChunks(planBody({}, describeMessages([a], 'p')))) void _;
    };
    await expect(drain()).rejects.toThrow(/grow.png: changed while being sent/);
  });

  it('refuses to send a file rewritten at the same size since it was hashed, streamed or whole', async () => {
    const data = Buffer.alloc(2_000_000, 1); // several reads
    const big = fileImage('same-big.png', data);
    const small = fileImage('same-small.png', Buffer.from('abcdef'));
    data[1_500_000] = 2; // in a later read than the first
    writeFileSync(big.source.kind === 'file' ? big.source.file : '', data);
    writeFileSync(small.source.kind === 'file' ? small.source.file : '', Buffer.from('abcdeg'));
    const drain = async (img: Image) => {
      for await (const _ of bodyChunks(planBody({}, describeMessages([img], 'p')))) void _;
    };
    const same = /changed while being sent \(the same size, but not the bytes read when the run was planned\)/;
    await expect(drain(big)).rejects.toThrow(same);
    await expect(drain(small)).rejects.toThrow(same);
    const whole = bodySource(planBody({}, describeMessages([small], 'p'))).whole;
    expect(whole).toBeDefined();
    expect(() => whole?.()).toThrow(same);
    // Unchanged files go out as they were hashed.
    const kept = fileImage('kept.png', data);
    await expect(drain(kept)).resolves.toBeUndefined();
  });
});

describe('requestParams', () => {
  it.each([
    [
      { model: 'kimi-k2.6', stream: true },
      { model: 'kimi-k2.6', thinking: { type: 'disabled' }, stream: true, stream_options: { include_usage: true } },
    ],
    [
      { model: 'kimi-k2.6', stream: false, thinking: 'on' as const },
      { model: 'kimi-k2.6', thinking: { type: 'enabled' }, stream: false },
    ],
    [
      { model: 'kimi-k3.1-pro', stream: false },
      { model: 'kimi-k3.1-pro', reasoning_effort: 'low', stream: false },
    ],
    [
      { model: 'kimi-k3', stream: false, effort: 'max' },
      { model: 'kimi-k3', reasoning_effort: 'max', stream: false },
    ],
    [
      { model: 'kimi-k2.7-code', stream: false },
      { model: 'kimi-k2.7-code', stream: false },
    ],
    [
      { model: 'moonshot-v1-8k-vision-preview', stream: false, temperature: 0.3, maxTokens: 100 },
      { model: 'moonshot-v1-8k-vision-preview', temperature: 0.3, max_completion_tokens: 100, stream: false },
    ],
    [
      { model: 'kimi-k2.6', stream: false, temperature: 0.6 },
      { model: 'kimi-k2.6', thinking: { type: 'disabled' }, temperature: 0.6, stream: false },
    ],
    [
      { model: 'future-model', stream: false },
      { model: 'future-model', stream: false },
    ],
  ])('%j', (o, expected) => {
    expect(requestParams(o)).toEqual(expected);
  });

  it.each([
    [{ model: 'kimi-k2.7-code', stream: false, thinking: 'off' as const }, /always thinks/],
    [{ model: 'kimi-k3', stream: false, thinking: 'off' as const }, /always thinks/],
    [{ model: 'kimi-k2.6', stream: false, effort: 'low' }, /does not take --effort/],
    [{ model: 'kimi-k3', stream: false, effort: 'medium' }, /low\|high\|max/],
    [{ model: 'kimi-k2.6', stream: false, temperature: 0.2 }, /only accepts temperature 0.6/],
    [{ model: 'kimi-k2.6', stream: false, temperature: 0.6, thinking: 'on' as const }, /only accepts temperature 1/],
    [{ model: 'kimi-k3', stream: false, temperature: 0.5 }, /only accepts temperature 1/],
    [{ model: 'moonshot-v1-8k-vision-preview', stream: false, temperature: 1.5 }, /between 0 and 1/],
  ])('refuses locally what the model rejects: %j', (o, msg) => {
    expect(() => requestParams(o)).toThrow(UsageError);
    expect(() => requestParams(o)).toThrow(msg);
  });
});

describe('the history a model takes', () => {
  const history: Message[] = [
    { role: 'user', content: 'What is it?' },
    { role: 'assistant', content: 'A dialog.', reasoning_content: 'The user asks what it is.' },
    { role: 'user', content: 'Colours?' },
  ];
  it.each([
    ['kimi-k3', true],
    ['kimi-k3.1-pro', true],
    ['kimi-k3.1-pro-highspeed', true],
    ['kimi-k2.7-code', true],
    ['kimi-k2.7-code-highspeed', true],
    ['a-model-not-in-the-table', true],
    ['kimi-k2.6', false],
    ['moonshot-v1-8k-vision-preview', false],
  ])('%s: reasoning resent = %s, and counted as input when it is', (model, resent) => {
    const sent = messagesForModel(history, model);
    expect(sent[1]!.reasoning_content).toBe(resent ? 'The user asks what it is.' : undefined);
    expect(sent[1]!.content).toBe('A dialog.');
    const withIt = estimateMessages(model, history, 'USD').text_tokens;
    const without = estimateMessages(model, [history[0]!, { role: 'assistant', content: 'A dialog.' }, history[2]!], 'USD').text_tokens;
    expect(withIt).toBeGreaterThan(without);
    expect(history[1]!.reasoning_content).toBe('The user asks what it is.'); // the saved history is not changed
  });

  it('the assistant turn keeps its reasoning and tool calls, and leaves out empty reasoning', () => {
    expect(assistantTurn('ok', '', [])).toEqual({ role: 'assistant', content: 'ok' });
    expect(assistantTurn('', 'why', [{ id: 'c1', name: 'f', arguments: '{}' }])).toEqual({
      role: 'assistant',
      content: '',
      reasoning_content: 'why',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
  });
});
