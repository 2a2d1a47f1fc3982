// How much answer a request may bring before it is called endless: from --max-tokens or the model table.
import { describe, expect, it } from 'vitest';
import { answerBytesLimit, charLimit, DEFAULT_OUTPUT_TOKENS, endlessAnswer, eventLimit, outputChars, outputLimit, OutputMeter } from '../../src/api/output-limit.js';

describe('outputLimit', () => {
  it.each([
    ['kimi-k2.6', 100, { tokens: 100, source: '--max-tokens 100' }],
    ['kimi-k3', 4096, { tokens: 4096, source: '--max-tokens 4,096' }],
    ['kimi-k3', undefined, { tokens: 131_072, source: "kimi-k3's output limit" }],
    ['kimi-k3.1-pro', undefined, { tokens: 131_072, source: "kimi-k3.1-pro's output limit" }],
    ['kimi-k2.6', undefined, { tokens: 262_144, source: "kimi-k2.6's context" }],
    ['moonshot-v1-8k-vision-preview', undefined, { tokens: 8192, source: "moonshot-v1-8k-vision-preview's context" }],
    ['a-model-of-2027', undefined, { tokens: 262_144, source: 'the largest output of the models kimi-vision knows' }],
    [undefined, undefined, { tokens: 262_144, source: 'the largest output of the models kimi-vision knows' }],
    ['kimi-k2.6', 0, { tokens: 262_144, source: "kimi-k2.6's context" }],
  ])('%s with --max-tokens %j -> %j', (model, maxTokens, want) => {
    expect(outputLimit(model, maxTokens)).toEqual(want);
  });

  it('an unknown model gets the most any model of the table allows', () => {
    expect(DEFAULT_OUTPUT_TOKENS).toBe(262_144);
  });
});

describe('charLimit / eventLimit / answerBytesLimit', () => {
  it.each([
    [1, 65_536, 4_096],
    [100, 65_536, 4_096],
    [4096, 65_536, 16_384],
    [131_072, 2_097_152, 524_288],
    [262_144, 4_194_304, 1_048_576],
  ])('%i tokens: %i characters, %i events', (tokens, chars, events) => {
    const l = { tokens, source: 's' };
    expect(charLimit(l)).toBe(chars);
    expect(eventLimit(l)).toBe(events);
    expect(answerBytesLimit(l)).toBe(6 * chars + 1024 * 1024);
  });
});

describe('outputChars', () => {
  it('counts text, reasoning and tool-call arguments, all billed as output', () => {
    expect(outputChars({ text: 'abc', reasoning: 'de', toolCalls: [] })).toBe(5);
    expect(
      outputChars({
        text: '',
        reasoning: '',
        toolCalls: [
          { id: 'a', name: 'f', arguments: '{"x":1}' },
          { id: 'b', name: 'g', arguments: '{}' },
        ],
      }),
    ).toBe(9);
  });
});

describe('OutputMeter', () => {
  it('says nothing up to the limits, then which one was passed', () => {
    const m = new OutputMeter({ tokens: 1, source: 's' });
    expect(m.over(65_536)).toBeUndefined();
    expect(m.over(65_537)).toBe('65,536 characters');
    const e = new OutputMeter({ tokens: 1, source: 's' });
    for (let i = 0; i < 4096; i++) expect(e.over(0)).toBeUndefined();
    expect(e.over(0)).toBe('4,096 events');
  });
});

describe('endlessAnswer', () => {
  it('names the host, what was passed and where the limit comes from; not retryable; partial when text was shown', () => {
    const shown = endlessAnswer('api.test', { tokens: 100, source: '--max-tokens 100' }, '4,096 events', true);
    expect(shown.message).toBe(
      'the answer from api.test did not end: it went past 4,096 events, more than 100 output tokens (--max-tokens 100) can be, so kimi-vision stopped reading it. The answer above is incomplete.',
    );
    expect([shown.exitCode, shown.retryable, shown.partial]).toEqual([75, false, true]);
    expect(endlessAnswer('h', { tokens: 1, source: 's' }, 'x', false).message).not.toMatch(/incomplete/);
  });
});
