// A server that misbehaves (issue 12), for the account commands (models, balance): the GETs get the
// same transport defences as chat. The emulator's hostile modes act on chat requests only, so this
// file runs a small server of its own that answers GETs in each hostile way.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';

const KEY = 'sk-hostile-account-8d8d8d8d';
const MODELS = { object: 'list', data: [{ id: 'kimi-k2.6', object: 'model', owned_by: 'moonshot' }] };
const BALANCE = { code: 0, data: { available_balance: 49.58, voucher_balance: 46.58, cash_balance: 3 }, scode: '0x0', status: true };

type Mode = 'json-error-200' | 'redirect' | 'endless-json' | 'endless-error' | 'gzip' | 'br' | 'x-weird' | 'huge-headers' | 'content-type-case';
let server: Server;
let base = '';
const hits = new Map<string, number>();

/** Writes `block` until the client goes, following the socket's pace. */
async function forever(res: ServerResponse, block: Buffer): Promise<void> {
  while (!res.destroyed) {
    if (res.write(block)) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done).off('close', done);
        resolve();
      };
      res.once('drain', done).once('close', done);
    });
  }
}

function answer(mode: Mode, path: string, res: ServerResponse): void {
  const doc = Buffer.from(JSON.stringify(path.endsWith('/models') ? MODELS : BALANCE));
  const json = { 'content-type': 'application/json; charset=utf-8' };
  switch (mode) {
    case 'json-error-200':
      return void res.writeHead(200, json).end(JSON.stringify({ error: { type: 'permission_denied_error', message: 'the gateway says no' } }));
    case 'redirect':
      return void res.writeHead(301, { location: `https://api.example.test/v1${path.replace(/^\/\w+\/v1/, '')}` }).end('<html>moved</html>');
    case 'endless-json':
      res.writeHead(200, json).write('{"object":"list","data":[');
      return void forever(res, Buffer.from('{"id":"kimi-k2.6","object":"model"},'.repeat(500)));
    case 'endless-error':
      res.writeHead(500, json).write('{"error":{"type":"server_error","message":"');
      return void forever(res, Buffer.from('and on '.repeat(2000)));
    case 'gzip':
    case 'br':
      return void res.writeHead(200, { ...json, 'content-encoding': mode }).end(mode === 'br' ? brotliCompressSync(doc) : gzipSync(doc));
    case 'x-weird':
      return void res.writeHead(200, { ...json, 'content-encoding': 'x-weird' }).end(gzipSync(doc));
    case 'huge-headers':
      return void res.writeHead(200, { ...json, 'x-trace-detail': 'x'.repeat(64 * 1024) }).end(doc);
    case 'content-type-case':
      return void res.writeHead(200, { 'Content-Type': 'Application/JSON; Charset=UTF-8' }).end(doc);
  }
}

beforeAll(async () => {
  // The mode is the first path segment: /<mode>/v1/models.
  server = createServer((req, res) => {
    const [, mode = '', ...rest] = (req.url ?? '/').split('/');
    hits.set(mode, (hits.get(mode) ?? 0) + 1);
    answer(mode as Mode, `/${mode}/${rest.join('/')}`, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const run = (command: 'models' | 'balance', mode: Mode) => runBin([command], { env: { MOONSHOT_BASE_URL: `${base}/${mode}/v1`, MOONSHOT_API_KEY: KEY } });

describe.each(['models', 'balance'] as const)('%s', (command) => {
  const path = command === 'models' ? 'GET /models' : 'GET /users/me/balance';

  it.each(['gzip', 'br', 'content-type-case'] as const)('%s: read as the document it is, exit 0', async (mode) => {
    const r = await run(command, mode);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(command === 'models' ? /^MODEL\s.*\nkimi-k2\.6 \*/ : /^available\s+¥49\.58\n/);
  });

  it('HTTP 200 with a JSON error body: that API error (403 -> exit 4), never "no models" or "no balance"', async () => {
    const r = await run(command, 'json-error-200');
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`this key may not use ${path} (403 permission_denied_error: the gateway says no)`);
  });

  it('a redirect: named with its target and the fix, exit 2, not followed', async () => {
    const before = hits.get('redirect') ?? 0;
    const r = await run(command, 'redirect');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${base}/redirect/v1 answered ${path} with a redirect (301 Moved Permanently) to https://api.example.test/v1/`);
    expect(r.stderr).toContain('use it as the base URL: https://api.example.test/v1 (');
    expect((hits.get('redirect') ?? 0) - before).toBe(1);
  });

  it('a JSON document that never ends: stopped at 16 MiB, exit 75, not retried', async () => {
    const before = hits.get('endless-json') ?? 0;
    const r = await run(command, 'endless-json');
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ sent a JSON document larger than 16 MiB, more than kimi-vision reads/);
    expect((hits.get('endless-json') ?? 0) - before).toBe(1);
  });

  it('an error body that never ends: each attempt reads 64 KiB of it, then exit 75 after the retries', async () => {
    const before = hits.get('endless-error') ?? 0;
    const r = await run(command, 'endless-error');
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/server error after 3 attempts \(500 server_error: and on and on .*an error body over 64 KiB, cut\)/);
    expect((hits.get('endless-error') ?? 0) - before).toBe(3);
  });

  it('x-weird: refused by name, exit 75', async () => {
    const r = await run(command, 'x-weird');
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/answered with content encoding x-weird, which kimi-vision cannot read/);
  });

  it('headers over the limit: named as such, exit 75', async () => {
    const r = await run(command, 'huge-headers');
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/sent headers larger than 16 KiB/);
  });

  it('never a stack trace, never the key', async () => {
    for (const mode of ['json-error-200', 'redirect', 'x-weird'] as const) {
      const r = await run(command, mode);
      expect(r.stderr).not.toMatch(/\n\s+at |node:internal/);
      expect(r.stdout + r.stderr).not.toContain(KEY);
    }
  });
});
