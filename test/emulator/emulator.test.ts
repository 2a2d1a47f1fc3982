// The emulator's protocol: capture replay, stream shapes, validation errors, token counts, modes.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from './types.js';
import {
  bmpHeader,
  CAPTURES,
  chat,
  closeAll,
  dataUrl,
  emulator,
  get,
  gifHeader,
  imagePart,
  jpegHeader,
  joinDeltas,
  png,
  post,
  rawPost,
  sseChunks,
  ssePayloads,
  userMessage,
  webpHeader,
} from './testkit.js';

let emu: Emulator;
const small = png(64, 48);
beforeAll(async () => {
  emu = await emulator();
});
afterAll(closeAll);

const capture = (name: string): Buffer => readFileSync(join(CAPTURES, name));
const captureJson = (name: string): unknown => JSON.parse(capture(name).toString('utf8'));

describe('capture replay', () => {
  const streams = readdirSync(CAPTURES).filter((f) => f.endsWith('.jsonl'));
  const bodies = readdirSync(CAPTURES).filter((f) => f.endsWith('.json'));

  it.each(streams)('streams %s byte for byte', async (file) => {
    emu.queueFault({ kind: 'replay', file });
    const res = await chat(emu, { model: 'kimi-k3', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const lines = capture(file)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    const expected = `${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`;
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });

  it.each(bodies)('answers %s verbatim with its status', async (file) => {
    emu.queueFault({ kind: 'replay', file });
    const res = await chat(emu, { model: 'kimi-k3', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(Number(/error-(\d{3})/.exec(file)?.[1] ?? 200));
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Buffer.from(await res.arrayBuffer()).equals(capture(file))).toBe(true);
  });
});

describe('streaming', () => {
  const ask = { model: 'kimi-k3', stream: true, messages: [userMessage('描述这张图', imagePart(small))] };

  it('sends role, reasoning, content, finish with usage in the choice, then [DONE] (like the captures)', async () => {
    const res = await chat(emu, ask);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('msh-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('x-trace-id')).toBeTruthy();
    const text = await res.text();
    expect(ssePayloads(text).at(-1)).toBe('[DONE]');
    const chunks = sseChunks(text);
    const reference = JSON.parse(capture('stream-k3-thinking-usage-both.jsonl').toString('utf8').split('\n')[0] ?? '');
    expect(Object.keys(chunks[0])).toEqual(Object.keys(reference));
    expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'kimi-k3')).toBe(true);
    const firstContent = chunks.findIndex((c) => c.choices[0]?.delta.content);
    const lastReasoning = chunks.findLastIndex((c) => c.choices[0]?.delta.reasoning_content);
    expect(lastReasoning).toBeGreaterThan(0);
    expect(firstContent).toBeGreaterThan(lastReasoning);
    expect(joinDeltas(chunks, 'content')).toBe('我看到 1 张图片。Image 1: image/png, ' + small.length + ' bytes, 64x48. 提示：“描述这张图”');
    const finish = chunks.at(-1);
    expect(finish.choices[0].finish_reason).toBe('stop');
    const usage = finish.choices[0].usage;
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it('places usage top-level on a choices:[] chunk for "top", both for "both" and for include_usage', async () => {
    const e = await emulator({ usagePlacement: 'top' });
    const top = sseChunks(await (await chat(e, ask)).text());
    expect(top.at(-2).choices[0].usage).toBeUndefined();
    expect(top.at(-1).choices).toEqual([]);
    expect(top.at(-1).usage.prompt_tokens).toBeGreaterThan(0);
    e.set({ usagePlacement: 'both' });
    const both = sseChunks(await (await chat(e, ask)).text());
    expect(both.at(-2).choices[0].usage).toEqual(both.at(-1).usage);
    e.set({ usagePlacement: 'choice' });
    const asked = sseChunks(await (await chat(e, { ...ask, stream_options: { include_usage: true } })).text());
    expect(asked.at(-2).choices[0].usage).toEqual(asked.at(-1).usage);
  });

  it('gives the same answer with CRLF line endings and keep-alive comments', async () => {
    const plain = sseChunks(await (await chat(emu, ask)).text());
    const e = await emulator({ lineEnding: '\r\n', comments: true });
    const text = await (await chat(e, ask)).text();
    expect(text).toContain(': keep-alive\r\n\r\n');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(text.endsWith('data: [DONE]\r\n\r\n')).toBe(true);
    expect(joinDeltas(sseChunks(text), 'content')).toBe(joinDeltas(plain, 'content'));
  });

  it('splits writes so that a read ends inside a multi-byte character; the bytes still add up', async () => {
    const { status, pieces } = await rawPost(emu, '/chat/completions', ask);
    expect(status).toBe(200);
    expect(pieces.length).toBeGreaterThan(50);
    expect(pieces.some((p) => p.length > 0 && (p[0] ?? 0) >= 0x80 && (p[0] ?? 0) <= 0xbf)).toBe(true);
    const chunks = sseChunks(Buffer.concat(pieces).toString('utf8'));
    expect(joinDeltas(chunks, 'content')).toMatch(/^我看到 1 张图片。/);
  });

  it('answers stream:false with one chat.completion body (reasoning_content for thinking models)', async () => {
    const res = await chat(emu, { ...ask, stream: false });
    const body = (await res.json()) as any;
    expect(Object.keys(body)).toEqual(Object.keys(captureJson('completion-k3-reasoning.json') as object));
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toMatch(/^我看到 1 张图片/);
    expect(body.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
    const off = (await (await chat(emu, { model: 'kimi-k2.6', thinking: { type: 'disabled' }, messages: ask.messages })).json()) as any;
    expect(off.choices[0].message.reasoning_content).toBeUndefined();
    expect(off.usage.completion_tokens_details).toBeUndefined();
  });
});

describe('validation errors', () => {
  const msgs = [userMessage('describe', imagePart(small))];
  async function error(body: unknown): Promise<{ status: number; body: any }> {
    const res = await chat(emu, body);
    return { status: res.status, body: await res.json() };
  }

  it('reproduces the captured 404, temperature, thinking and svg errors exactly', async () => {
    expect(await error({ model: 'issue-19552-invalid-model', messages: msgs })).toEqual({ status: 404, body: captureJson('error-404-model.json') });
    expect(await error({ model: 'kimi-k2.6', thinking: { type: 'disabled' }, temperature: 0.3, messages: msgs })).toEqual({
      status: 400,
      body: captureJson('error-400-temperature-k2.json'),
    });
    expect(await error({ model: 'kimi-k3', temperature: 0.6, messages: msgs })).toEqual({ status: 400, body: captureJson('error-400-temperature-k3.json') });
    expect(await error({ model: 'kimi-k2.7-code', thinking: { type: 'disabled' }, messages: msgs })).toEqual({ status: 400, body: captureJson('error-400-thinking-k2.7.json') });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    expect(await error({ model: 'kimi-k2.6', messages: [userMessage('x', imagePart(svg, 'image/svg+xml'))] })).toEqual({
      status: 400,
      body: captureJson('error-400-svg-image.json'),
    });
  });

  it.each(['moonshot-v1-8k-vision-preview', 'moonshot-v1-128k-vision-preview', 'kimi-k2.5'])('answers 404 for retired %s', async (model) => {
    const r = await error({ model, messages: msgs });
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({ message: `Not found the model ${model} or Permission denied`, type: 'resource_not_found_error' });
  });

  it('accepts the pinned temperatures', async () => {
    expect((await chat(emu, { model: 'kimi-k2.6', temperature: 1, messages: msgs })).status).toBe(200);
    expect((await chat(emu, { model: 'kimi-k2.6', thinking: { type: 'disabled' }, temperature: 0.6, messages: msgs })).status).toBe(200);
  });

  it.each([
    [
      'a stringified array as string content',
      { model: 'kimi-k2.6', messages: [{ role: 'user', content: '[{"type":"text","text":"hi"}]' }] },
      'Your request exceeded model token limit : 262144',
    ],
    ['a MIME claim that differs from the bytes', { model: 'kimi-k2.6', messages: [userMessage('x', imagePart(small, 'image/jpeg'))] }, /mismatch.*image\/jpeg.*image\/png/],
    ['an http URL', { model: 'kimi-k2.6', messages: [userMessage('x', { type: 'image_url', image_url: { url: 'https://example.com/a.png' } })] }, /https URLs are not supported/],
    ['empty image data', { model: 'kimi-k2.6', messages: [userMessage('x', { type: 'image_url', image_url: { url: 'data:image/png;base64,' } })] }, /unsupported image format/],
    [
      'video on a model without video',
      { model: 'kimi-k3.1-pro', messages: [userMessage('x', { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AAAAGGZ0eXBpc29t' } })] },
      /video input is not supported/,
    ],
    ['thinking with reasoning_effort', { model: 'kimi-k3', thinking: { type: 'enabled' }, reasoning_effort: 'low', messages: msgs }, /cannot be used together/],
    ['a thinking field on K3', { model: 'kimi-k3', thinking: { type: 'enabled' }, messages: msgs }, /reasoning_effort/],
    ['an unknown reasoning_effort', { model: 'kimi-k3', reasoning_effort: 'medium', messages: msgs }, /reasoning_effort/],
    ['reasoning_effort on K2', { model: 'kimi-k2.6', reasoning_effort: 'low', messages: msgs }, /reasoning_effort/],
    ['temperature above 1', { model: 'kimi-k2.6', temperature: 1.5, messages: msgs }, /temperature/],
    ['an unknown role', { model: 'kimi-k2.6', messages: [{ role: 'robot', content: 'x' }] }, /role/],
    ['empty messages', { model: 'kimi-k2.6', messages: [] }, /non-empty array/],
    [
      'tool calls without tool replies',
      {
        model: 'kimi-k3',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', tool_calls: [{ id: 'f_0', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'user', content: 'y' },
        ],
      },
      /tool_call_id/,
    ],
    ['json_schema on a K2 model', { model: 'kimi-k2.6', response_format: { type: 'json_schema', json_schema: { schema: { type: 'object' } } }, messages: msgs }, /json_schema/],
    ['more than the context with max_tokens', { model: 'kimi-k2.6', max_tokens: 262_144, messages: msgs }, 'Your request exceeded model token limit : 262144'],
  ])('rejects %s with 400', async (_name, body, message) => {
    const r = await error(body);
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe('invalid_request_error');
    if (typeof message === 'string') expect(r.body.error.message).toBe(message);
    else expect(r.body.error.message).toMatch(message);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await fetch(`${emu.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.type).toBe('invalid_request_error');
  });
});

describe('tokens', () => {
  async function imageTokens(model: string, image: Buffer, mime = 'image/png'): Promise<number> {
    const res = await post(emu, '/tokenizers/estimate-token-count', { model, messages: [{ role: 'user', content: [imagePart(image, mime)] }] });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).data.total_tokens - 8;
  }

  it.each([
    ['kimi-k2.6', 512, 512, 361],
    ['kimi-k2.6', 1024, 1024, 1369],
    ['kimi-k2.6', 1920, 1080, 2691],
    ['kimi-k2.6', 3840, 2160, 4214],
    ['kimi-k3', 512, 512, 361],
    ['kimi-k3', 1024, 1024, 1369],
    ['kimi-k3', 1920, 1080, 2691],
    ['kimi-k3', 3840, 2160, 10764],
  ])('%s counts a %ix%i PNG as %i tokens', async (model, w, h, tokens) => {
    expect(await imageTokens(model, png(w, h))).toBe(tokens);
  });

  it.each([
    ['image/jpeg', jpegHeader],
    ['image/gif', gifHeader],
    ['image/bmp', bmpHeader],
    ['image/webp', webpHeader],
  ] as const)('reads the size of %s headers', async (mime, make) => {
    expect(await imageTokens('kimi-k2.6', make(1024, 1024), mime)).toBe(1369);
  });

  it('reports the same prompt tokens in chat usage as the estimate', async () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, userMessage('描述', imagePart(png(1920, 1080)))];
    const estimate = (await (await post(emu, '/tokenizers/estimate-token-count', { model: 'kimi-k2.6', messages })).json()) as any;
    const done = (await (await chat(emu, { model: 'kimi-k2.6', messages })).json()) as any;
    expect(done.usage.prompt_tokens).toBe(estimate.data.total_tokens);
    expect(estimate.data.total_tokens).toBe(2691 + 8 + 3 + 8 + 2);
  });

  it('validates models and images in the estimate too', async () => {
    const res = await post(emu, '/tokenizers/estimate-token-count', { model: 'kimi-k2.5', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(404);
  });
});

describe('answer modes', () => {
  const msgs = [userMessage('What is it?', imagePart(small))];

  it('cuts the answer at max_completion_tokens with finish_reason length', async () => {
    const body = (await (await chat(emu, { model: 'kimi-k2.6', thinking: { type: 'disabled' }, max_completion_tokens: 5, messages: msgs })).json()) as any;
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(5);
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    const streamed = sseChunks(await (await chat(emu, { model: 'kimi-k3', stream: true, max_completion_tokens: 3, messages: msgs })).text());
    expect(streamed.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('answers a compact JSON object in JSON mode and a schema-shaped one for json_schema', async () => {
    const obj = (await (await chat(emu, { model: 'kimi-k2.6', response_format: { type: 'json_object' }, messages: msgs })).json()) as any;
    expect(JSON.parse(obj.choices[0].message.content)).toMatchObject({ image_count: 1 });
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, n: { type: 'integer' }, ok: { type: 'boolean' }, tags: { type: 'array' } },
      required: ['title', 'n', 'ok', 'tags'],
    };
    const res = await chat(emu, { model: 'kimi-k3', response_format: { type: 'json_schema', json_schema: { name: 'x', schema } }, messages: msgs });
    expect(JSON.parse(((await res.json()) as any).choices[0].message.content)).toEqual({ title: 'example', n: 1, ok: true, tags: [] });
  });

  it('continues a partial assistant message without repeating it; rejects partial with JSON mode', async () => {
    const partial = [...msgs, { role: 'assistant', content: 'The picture shows', partial: true }];
    const body = (await (await chat(emu, { model: 'kimi-k2.6', messages: partial })).json()) as any;
    expect(body.choices[0].message.content.startsWith(' continues after the prefix.')).toBe(true);
    expect(body.choices[0].message.content).not.toContain('The picture shows');
    const r = await chat(emu, { model: 'kimi-k2.6', response_format: { type: 'json_object' }, messages: partial });
    expect(r.status).toBe(400);
  });

  it('streams one tool call like the capture, then answers from the tool result', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const ask = { model: 'kimi-k3', stream: true, tools, messages: [{ role: 'user', content: 'Weather in Paris? use get_weather' }] };
    const chunks = sseChunks(await (await chat(emu, ask)).text());
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'get_weather_0', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.length).toBe(3);
    expect(calls.map((c: any) => c.function.arguments).join('')).toBe('{"city": "example"}');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
    const e = await emulator({ toolArguments: { city: 'Paris' } });
    const second = (await (await chat(e, { ...ask, stream: false })).json()) as any;
    expect(second.choices[0].message.tool_calls[0].function.arguments).toBe('{"city": "Paris"}');
    const followUp = [...ask.messages, second.choices[0].message, { role: 'tool', tool_call_id: 'get_weather_0', content: '{"temp": 21, "sky": "clear"}' }];
    const answer = (await (await chat(e, { ...ask, stream: false, messages: followUp })).json()) as any;
    expect(answer.choices[0].message.content).toBe('Based on the tool result: {"temp": 21, "sky": "clear"}');
  });

  it('takes video parts on video models and counts them', async () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\0\0\0\0isomiso2', 'latin1')]);
    const video = { type: 'video_url', video_url: { url: dataUrl(mp4, 'video/mp4') } };
    const res = await chat(emu, { model: 'kimi-k2.6', messages: [userMessage('总结', video)] });
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toMatch(/^我看到 1 个视频。Video 1: video\/mp4, 24 bytes\./);
    expect(body.usage.prompt_tokens).toBe(4096 + 8 + 2);
    expect(emu.chatRequests().at(-1)?.images).toEqual([{ mime: 'video/mp4', bytes: 24, sha256: expect.any(String), source: 'data' }]);
  });

  it('uses the reply option and logs the request with data URLs summarised', async () => {
    const e = await emulator({ reply: ({ model, images }) => `${model}: ${images.length} image(s) ✓` });
    const body = { model: 'kimi-k2.6', messages: msgs };
    const done = (await (await chat(e, body)).json()) as any;
    expect(done.choices[0].message.content).toBe('kimi-k2.6: 1 image(s) ✓');
    const [logged] = e.chatRequests();
    expect(logged?.bodyBytes).toBe(Buffer.byteLength(JSON.stringify(body)));
    expect(logged?.headers.authorization).toBe('Bearer sk-test');
    expect(logged?.images).toEqual([{ mime: 'image/png', bytes: small.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), source: 'data' }]);
    expect(JSON.stringify(logged?.body)).toContain(`data:image/png;base64,<${small.length} bytes sha256=`);
    expect(JSON.stringify(logged?.body)).not.toContain(dataUrl(small));
    expect(logged?.status).toBe(200);
  });

  it('lists live models with extended fields, or minimal ones', async () => {
    const list = (await (await get(emu, '/models')).json()) as any;
    expect(list.object).toBe('list');
    const ids = list.data.map((m: any) => m.id);
    expect(ids).toContain('kimi-k2.6');
    expect(ids).not.toContain('kimi-k2.5');
    expect(list.data.find((m: any) => m.id === 'kimi-k3')).toMatchObject({
      object: 'model',
      owned_by: 'moonshot',
      context_length: 1_048_576,
      supports_image_in: true,
      supports_video_in: true,
      supports_reasoning: true,
    });
    const e = await emulator({ modelFields: 'minimal' });
    const minimal = (await (await get(e, '/models')).json()) as any;
    expect(Object.keys(minimal.data[0])).toEqual(['id', 'object', 'created', 'owned_by']);
  });
});
