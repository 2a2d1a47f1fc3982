// The rules of the 2026-12-01 update: reasoning sent back, max_completion_tokens, tool_choice
// "required", no image URLs on any model, Retry-After as a date, and 404s from outside the API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpDateAhead } from './faults.js';
import { ReasoningMemory } from './reasoning.js';
import type { Emulator } from './types.js';
import { chat, closeAll, emulator, imagePart, joinDeltas, png, post, sseChunks, userMessage } from './testkit.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(closeAll);

const question = userMessage('What is it?', imagePart(png(32, 32)));
const next = { role: 'user', content: 'And the colours?' };

async function answer(body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await chat(emu, body);
  return { status: res.status, body: await res.json() };
}

/** The assistant turn of a non-streaming answer, as a client resends it. */
async function firstTurn(model: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await answer({ model, ...extra, messages: [question] });
  expect(r.status).toBe(200);
  return r.body.choices[0].message;
}

const ALWAYS = ['kimi-k3', 'kimi-k3.1-pro', 'kimi-k3.1-pro-highspeed', 'kimi-k2.7-code', 'kimi-k2.7-code-highspeed'];

describe('reasoning_content sent back', () => {
  it.each(ALWAYS)('%s takes its reasoning back unchanged and refuses it missing, empty or edited', async (model) => {
    const turn = await firstTurn(model);
    expect(typeof turn.reasoning_content).toBe('string');
    expect((await answer({ model, messages: [question, turn, next] })).status).toBe(200);
    const { reasoning_content: reasoning, ...without } = turn;
    const missing = await answer({ model, messages: [question, without, next] });
    expect(missing).toEqual({
      status: 400,
      body: { error: { message: expect.stringMatching(/^Invalid request: messages\[1\] is an assistant message without reasoning_content/), type: 'invalid_request_error' } },
    });
    expect((await answer({ model, messages: [question, { ...turn, reasoning_content: '' }, next] })).status).toBe(400);
    const edited = await answer({ model, messages: [question, { ...turn, reasoning_content: `${String(reasoning)} ` }, next] });
    expect(edited.status).toBe(400);
    expect(edited.body.error.message).toMatch(/^Invalid request: the reasoning_content of messages\[1\] is not the one the model produced/);
  });

  it('takes back the reasoning of a stream, joined from its deltas', async () => {
    const chunks = sseChunks(await (await chat(emu, { model: 'kimi-k3', stream: true, messages: [question] })).text());
    const turn = { role: 'assistant', content: joinDeltas(chunks, 'content'), reasoning_content: joinDeltas(chunks, 'reasoning_content') };
    expect((await answer({ model: 'kimi-k3', messages: [question, turn, next] })).status).toBe(200);
  });

  it('needs it in a tool-call loop, naming the assistant message that lacks it', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const ask = [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'Weather in Paris?' },
    ];
    const chunks = sseChunks(await (await chat(emu, { model: 'kimi-k3', stream: true, tools, messages: ask })).text());
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const call = { id: calls[0].id, type: 'function', function: { name: calls[0].function.name, arguments: calls.map((c: any) => c.function.arguments).join('') } };
    const turn = { role: 'assistant', content: '', tool_calls: [call], reasoning_content: joinDeltas(chunks, 'reasoning_content') };
    const result = { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' };
    const done = await answer({ model: 'kimi-k3', tools, messages: [...ask, turn, result] });
    expect(done.status).toBe(200);
    expect(done.body.choices[0].message.content).toBe('Based on the tool result: {"temp": 21}');
    const { reasoning_content: _dropped, ...bare } = turn;
    const refused = await answer({ model: 'kimi-k3', tools, messages: [...ask, bare, result] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/messages\[2\] is an assistant message without reasoning_content/);
  });

  it('does not ask it of a final Partial Mode prefix', async () => {
    const partial = { role: 'assistant', content: 'It is', partial: true };
    expect((await answer({ model: 'kimi-k3', messages: [question, partial] })).status).toBe(200);
    const turn = await firstTurn('kimi-k3');
    const { reasoning_content: _r, ...bare } = turn;
    expect((await answer({ model: 'kimi-k3', messages: [question, bare, next, partial] })).status).toBe(400);
  });

  it('takes back the reasoning of a replayed capture', async () => {
    emu.queueFault({ kind: 'replay', file: 'completion-k3-reasoning.json' });
    const turn = await firstTurn('kimi-k3');
    expect(turn.reasoning_content).toBe('17*19=323. Need final only number. Ensure no extra text.');
    expect((await answer({ model: 'kimi-k3', messages: [question, turn, next] })).status).toBe(200);
  });

  it('kimi-k2.6 ignores reasoning in the history and needs none, unless thinking keeps it all', async () => {
    const turn = await firstTurn('kimi-k2.6');
    const { reasoning_content: _r, ...bare } = turn;
    const plain = await answer({ model: 'kimi-k2.6', messages: [question, bare, next] });
    expect(plain.status).toBe(200);
    const invented = await answer({ model: 'kimi-k2.6', messages: [question, { ...turn, reasoning_content: 'not ours' }, next] });
    expect(invented.status).toBe(200);
    expect(invented.body.usage.prompt_tokens).toBe(plain.body.usage.prompt_tokens);
    const keep = { thinking: { type: 'enabled', keep: 'all' } };
    expect((await answer({ model: 'kimi-k2.6', ...keep, messages: [question, bare, next] })).status).toBe(400);
    expect((await answer({ model: 'kimi-k2.6', ...keep, messages: [question, { ...turn, reasoning_content: 'not ours' }, next] })).status).toBe(400);
    const kept = await answer({ model: 'kimi-k2.6', ...keep, messages: [question, turn, next] });
    expect(kept.status).toBe(200);
    // Preserved Thinking reads the reasoning as input.
    expect(kept.body.usage.prompt_tokens).toBeGreaterThan(plain.body.usage.prompt_tokens);
  });

  it.each([
    [{ type: 'disabled', keep: 'all' }, 'invalid thinking: keep is only allowed with type=enabled'],
    [{ type: 'enabled', keep: 'last' }, 'invalid thinking: keep must be "all"'],
  ])('refuses thinking %j', async (thinking, message) => {
    expect(await answer({ model: 'kimi-k2.6', thinking, messages: [question] })).toEqual({ status: 400, body: { error: { message, type: 'invalid_request_error' } } });
  });

  it('counts a history without reasoning at the estimate endpoint instead of refusing it', async () => {
    const history = [question, { role: 'assistant', content: 'A square.' }, next];
    const res = await post(emu, '/tokenizers/estimate-token-count', { model: 'kimi-k3', messages: history });
    expect(res.status).toBe(200);
  });

  it('forgets the oldest reasoning past its bound', () => {
    const memory = new ReasoningMemory(2);
    memory.remember('a');
    memory.remember('b');
    memory.remember('a'); // seen again: now the newest
    memory.remember('c');
    expect([memory.knows('a'), memory.knows('b'), memory.knows('c'), memory.size]).toEqual([true, false, true, 2]);
    memory.remember('');
    expect(memory.knows('')).toBe(false);
  });
});

describe('max_completion_tokens and the deprecated max_tokens', () => {
  const finish = async (body: Record<string, unknown>): Promise<string> => (await answer({ messages: [question], ...body })).body.choices[0].finish_reason;
  const off = { thinking: { type: 'disabled' } };

  it.each([
    ['kimi-k2.6 honours max_completion_tokens', { model: 'kimi-k2.6', ...off, max_completion_tokens: 3 }, 'length'],
    ['kimi-k2.6 honours max_tokens', { model: 'kimi-k2.6', ...off, max_tokens: 3 }, 'length'],
    ['kimi-k2.7-code honours max_tokens', { model: 'kimi-k2.7-code', max_tokens: 3 }, 'length'],
    ['max_completion_tokens wins over a small max_tokens', { model: 'kimi-k2.6', ...off, max_completion_tokens: 4_000, max_tokens: 3 }, 'stop'],
    ['max_completion_tokens wins over a large max_tokens', { model: 'kimi-k2.6', ...off, max_completion_tokens: 3, max_tokens: 4_000 }, 'length'],
    ['kimi-k3 honours max_completion_tokens', { model: 'kimi-k3', max_completion_tokens: 3 }, 'length'],
    ['kimi-k3 ignores max_tokens', { model: 'kimi-k3', max_tokens: 3 }, 'stop'],
    ['kimi-k3.1-pro ignores max_tokens', { model: 'kimi-k3.1-pro', max_tokens: 3 }, 'stop'],
    ['kimi-k3 ignores even a max_tokens over its context', { model: 'kimi-k3', max_tokens: 5_000_000 }, 'stop'],
  ])('%s', async (_name, body, expected) => {
    expect(await finish(body)).toBe(expected);
  });

  it.each([
    [{ model: 'kimi-k3', max_completion_tokens: 1_048_576 }, 'Your request exceeded model token limit : 1048576'],
    [{ model: 'kimi-k3', max_completion_tokens: 0 }, 'invalid max_completion_tokens: must be a positive integer'],
    [{ model: 'kimi-k2.6', max_tokens: 1.5 }, 'invalid max_tokens: must be a positive integer'],
  ])('refuses %j', async (body, message) => {
    expect(await answer({ messages: [question], ...body })).toEqual({ status: 400, body: { error: { message, type: 'invalid_request_error' } } });
  });
});

describe('tool_choice "required"', () => {
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];

  it('calls the tool on kimi-k3', async () => {
    const r = await answer({ model: 'kimi-k3', tools, tool_choice: 'required', messages: [question] });
    expect(r.status).toBe(200);
    expect(r.body.choices[0].finish_reason).toBe('tool_calls');
  });

  it.each(['kimi-k2.6', 'kimi-k2.7-code', 'kimi-k2.7-code-highspeed', 'kimi-k3.1-pro', 'kimi-k3.1-pro-highspeed'])('is refused by %s', async (model) => {
    expect(await answer({ model, tools, tool_choice: 'required', messages: [question] })).toEqual({
      status: 400,
      body: { error: { message: `Invalid request: tool_choice "required" is not supported by model ${model}; use "auto" or name a function`, type: 'invalid_request_error' } },
    });
  });
});

describe('image URLs', () => {
  it.each(
    ['kimi-k3', 'kimi-k3.1-pro', 'kimi-k2.6', 'kimi-k2.7-code'].flatMap((m) => [
      [m, 'https'],
      [m, 'http'],
    ]),
  )('%s refuses a public %s URL', async (model, scheme) => {
    const r = await answer({ model, messages: [userMessage('x', { type: 'image_url', image_url: { url: `${scheme}://example.com/a.png` } })] });
    expect(r).toEqual({
      status: 400,
      body: { error: { message: `Invalid request: image url must be a base64 data URL or ms://<file_id>; ${scheme} URLs are not supported`, type: 'invalid_request_error' } },
    });
  });
});

describe('Retry-After', () => {
  it.each([
    [2, Date.UTC(2026, 11, 1, 20, 13, 0, 0), 'Tue, 01 Dec 2026 20:13:02 GMT'],
    [2, Date.UTC(2026, 11, 1, 20, 13, 0, 1), 'Tue, 01 Dec 2026 20:13:03 GMT'],
    [60, Date.UTC(2026, 11, 31, 23, 59, 30, 500), 'Fri, 01 Jan 2027 00:00:31 GMT'],
  ])('%i s ahead of %i is %s', (seconds, now, date) => {
    expect(httpDateAhead(seconds, now)).toBe(date);
  });

  it('sends an HTTP date as many seconds ahead as the message says', async () => {
    const e = await emulator({ rpmLimit: 1, retryAfterHeader: true, retryAfterDate: true });
    expect((await chat(e, { model: 'kimi-k2.6', messages: [question] })).status).toBe(200);
    const before = Date.now();
    const res = await chat(e, { model: 'kimi-k2.6', messages: [question] });
    const after = Date.now();
    expect(res.status).toBe(429);
    const seconds = Number(/after (\d+) seconds/.exec(((await res.json()) as any).error.message)?.[1]);
    const header = res.headers.get('retry-after') ?? '';
    expect(header).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
    expect(Date.parse(header)).toBeGreaterThanOrEqual(before + seconds * 1000 - 999);
    expect(Date.parse(header)).toBeLessThanOrEqual(after + seconds * 1000 + 1000);
  });
});

describe('paths outside the API (a base URL without /v1)', () => {
  const origin = (e: Emulator): string => e.baseUrl.replace(/\/v1$/, '');

  it.each([
    ['POST', '/chat/completions'],
    ['GET', '/models'],
    ['GET', '/users/me/balance'],
    ['GET', '/v1/chat/completions'],
    ['POST', '/v1/embeddings'],
  ])('answers %s %s with the gateway 404 in plain text', async (method, path) => {
    const res = await fetch(`${origin(emu)}${path}`, { method, headers: { authorization: 'Bearer k' }, ...(method === 'POST' ? { body: '{}' } : {}) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('msh-request-id')).toBeNull();
    expect(await res.text()).toBe('404 page not found\n');
  });

  it('answers a JSON 404 naming the path when asked, never the model-not-found error', async () => {
    const e = await emulator({ notFound: 'json' });
    const res = await fetch(`${origin(e)}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'kimi-k2.6', messages: [question] }) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('{"error":{"type":"resource_not_found_error","message":"no route matches POST /chat/completions"}}');
  });
});
