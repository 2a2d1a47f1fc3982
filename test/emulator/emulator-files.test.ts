// The emulator's files and batches, and its HTTPS mode.

import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from './types.js';
import { chat, closeAll, emulator, get, KEY, png, post } from './testkit.js';

afterAll(closeAll);

async function upload(e: Emulator, data: Buffer | string, purpose: string, filename = 'a.bin'): Promise<Response> {
  const form = new FormData();
  form.set('purpose', purpose);
  form.set('file', new Blob([data]), filename);
  return fetch(`${e.baseUrl}/files`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
}

const msUser = (id: string): Record<string, unknown> => ({
  role: 'user',
  content: [
    { type: 'image_url', image_url: { url: `ms://${id}` } },
    { type: 'text', text: '描述' },
  ],
});

describe('files', () => {
  it('uploads an image, lists and serves it, answers about it as ms://, deletes it', async () => {
    const e = await emulator();
    const image = png(100, 50);
    const res = await upload(e, image, 'image', 'cat.png');
    expect(res.status).toBe(200);
    const file = (await res.json()) as any;
    expect(file).toMatchObject({ object: 'file', bytes: image.length, filename: 'cat.png', purpose: 'image', status: 'ok', status_details: '' });
    expect(file.id).toMatch(/^file-/);
    expect(((await (await get(e, '/files')).json()) as any).data.map((f: any) => f.id)).toEqual([file.id]);
    expect(((await (await get(e, `/files/${file.id}`)).json()) as any).id).toBe(file.id);
    const content = await get(e, `/files/${file.id}/content`);
    expect(Buffer.from(await content.arrayBuffer()).equals(image)).toBe(true);

    const answer = (await (await chat(e, { model: 'kimi-k2.6', messages: [msUser(file.id)] })).json()) as any;
    expect(answer.choices[0].message.content).toContain(`image/png, ${image.length} bytes, 100x50`);
    expect(e.chatRequests()[0]?.images).toEqual([{ mime: 'image/png', bytes: image.length, sha256: expect.any(String), source: 'ms' }]);

    const deleted = await fetch(`${e.baseUrl}/files/${file.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });
    expect(await deleted.json()).toEqual({ id: file.id, object: 'file', deleted: true });
    expect((await get(e, `/files/${file.id}`)).status).toBe(404);
    const gone = await chat(e, { model: 'kimi-k2.6', messages: [msUser(file.id)] });
    expect(gone.status).toBe(400);
  });

  it('refuses a non-image uploaded as an image, a bad purpose, and ms:// of a non-image file', async () => {
    const e = await emulator();
    const text = await upload(e, '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image');
    expect(text.status).toBe(400);
    expect(((await text.json()) as any).error.message).toBe('Invalid request: unsupported image format: text/plain; charset=utf-8');
    expect((await upload(e, 'x', 'nonsense')).status).toBe(400);
    const doc = (await (await upload(e, 'hello', 'file-extract', 'a.txt')).json()) as any;
    expect((await chat(e, { model: 'kimi-k2.6', messages: [msUser(doc.id)] })).status).toBe(400);
  });
});

describe('batches', () => {
  const line = (id: string, body: Record<string, unknown>): string => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body });

  it('runs a batch end to end: validating → in_progress → completed with output and error files', async () => {
    const e = await emulator({ batchPollsToComplete: 2 });
    const msg = [{ role: 'user', content: 'hello' }];
    const jsonl = [
      line('a', { model: 'kimi-k2.6', messages: msg }),
      line('b', { model: 'kimi-k2.6', messages: msg, thinking: { type: 'disabled' } }),
      line('c', { model: 'kimi-k2.6', messages: msg, temperature: 0.2 }),
    ].join('\n');
    const input = (await (await upload(e, jsonl, 'batch', 'in.jsonl')).json()) as any;
    const created = await post(e, '/batches', { input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'x' } });
    expect(created.status).toBe(200);
    const batch = (await created.json()) as any;
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', output_file_id: null, error_file_id: null, input_file_id: input.id, metadata: { job: 'x' } });
    expect(batch.id).toMatch(/^batch_/);
    expect(((await (await get(e, `/batches/${batch.id}`)).json()) as any).status).toBe('in_progress');
    const done = (await (await get(e, `/batches/${batch.id}`)).json()) as any;
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const out = (await (await get(e, `/files/${done.output_file_id}/content`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.custom_id)).toEqual(['a', 'b']);
    expect(out[0]).toMatchObject({ response: { status_code: 200, body: { object: 'chat.completion' } }, error: null });
    expect(out[0].id).toMatch(/^batch_req_/);
    const errs = (await (await get(e, `/files/${done.error_file_id}/content`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ custom_id: 'c', response: { status_code: 400 }, error: { message: 'invalid temperature: only 1 is allowed for this model' } });
    expect(((await (await get(e, '/batches')).json()) as any).data.map((b: any) => b.id)).toEqual([batch.id]);
  });

  it.each([
    ['duplicate custom_ids', [line('a', { model: 'kimi-k2.6' }), line('a', { model: 'kimi-k2.6' })], 'batch'],
    ['two models', [line('a', { model: 'kimi-k2.6' }), line('b', { model: 'kimi-k3' })], 'batch'],
    ['a wrong url', [JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/embeddings', body: {} })], 'batch'],
    ['an input file of another purpose', [line('a', { model: 'kimi-k2.6' })], 'file-extract'],
  ])('refuses a batch with %s', async (_name, lines, purpose) => {
    const e = await emulator();
    const input = (await (await upload(e, lines.join('\n'), purpose, 'in.jsonl')).json()) as any;
    const res = await post(e, '/batches', { input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.type).toBe('invalid_request_error');
  });

  it('cancels a batch in progress', async () => {
    const e = await emulator({ batchPollsToComplete: 5 });
    const input = (await (await upload(e, line('a', { model: 'kimi-k2.6', messages: [{ role: 'user', content: 'x' }] }), 'batch')).json()) as any;
    const batch = (await (await post(e, '/batches', { input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).json()) as any;
    expect(((await (await post(e, `/batches/${batch.id}/cancel`, {})).json()) as any).status).toBe('cancelling');
    expect(((await (await get(e, `/batches/${batch.id}`)).json()) as any).status).toBe('cancelled');
  });
});

describe('https', () => {
  it('serves HTTPS when given a key and certificate', async () => {
    const dir = join(import.meta.dirname, 'tls'); // made by tls/make-cert.sh
    const cert = readFileSync(join(dir, 'cert.pem'));
    const e = await emulator({ tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
    expect(e.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1$/);
    const body = await new Promise<string>((resolve, reject) => {
      httpsRequest(`${e.baseUrl}/models`, { ca: cert, headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString('utf8')));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(JSON.parse(body).object).toBe('list');
  });
});
