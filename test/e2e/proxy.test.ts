// Proxies as the user sees them: the proxy the variables choose (NO_PROXY in the forms users write),
// and a proxy that is down or refuses, reported as the proxy (its address, credentials hidden, and
// the variable that chose it), not as the API host. The real bin, the emulator, a CONNECT proxy.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, runBin, type SpawnOptions } from '../helpers/cli.js';
import { startProxy } from '../helpers/proxy.js';

const emu = useEmulator();
const KEY = 'sk-proxy-5e5e5e5e';
const small = path.join('fixtures', 'small.png');
const kv = (args: string[], env: Record<string, string>, o: SpawnOptions = {}) =>
  runBin(['describe', small, ...args], { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...env } });

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on: taken from the system, then freed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A proxy that answers every CONNECT with `status`, counting them. */
async function refusingProxy(status: number, reason: string): Promise<{ url: string; connects: () => number; close: () => Promise<void> }> {
  let connects = 0;
  const server = createServer((_req, res) => res.writeHead(status).end());
  server.on('connect', (_req, socket) => {
    connects++;
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\n\r\n`);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, connects: () => connects, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a proxy that is down or refuses is reported as the proxy', () => {
  it.each([
    ['HTTP_PROXY', 'http://kv:s3cret@127.0.0.1:PORT', 'http://***:***@127.0.0.1:PORT'],
    ['http_proxy', '127.0.0.1:PORT', 'http://127.0.0.1:PORT'],
  ])('%s names a dead port: exit 75, the proxy and the variable named, not the API host; nothing reaches the API', async (variable, value, shown) => {
    const port = String(await deadPort());
    emu.reset();
    const r = await kv(['--max-attempts', '1'], { [variable]: value.replace('PORT', port) });
    expect(r.code).toBe(75);
    const line = `error: connection refused by the proxy ${shown.replace('PORT', port)} (from ${variable}).`;
    expect(r.stderr).toContain(line);
    expect(r.stderr).toContain(`Check that the proxy runs and that ${variable} names it. To reach 127.0.0.1 without it, add 127.0.0.1 to NO_PROXY.`);
    expect(r.stderr).not.toContain(`connection refused by 127.0.0.1:${emu.port}`);
    expect(r.stderr).not.toContain('s3cret');
    expect(emu.chatRequests()).toHaveLength(0);
  });

  it('HTTPS_PROXY for an https API names the proxy too', async () => {
    const port = await deadPort();
    const r = await runBin(['describe', small, '--max-attempts', '1'], {
      env: { MOONSHOT_BASE_URL: 'https://api.moonshot.example/v1', MOONSHOT_API_KEY: KEY, HTTPS_PROXY: `http://127.0.0.1:${port}`, HTTP_PROXY: 'http://unused.example:1' },
    });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain(`error: connection refused by the proxy http://127.0.0.1:${port} (from HTTPS_PROXY).`);
    expect(r.stderr).toContain('To reach api.moonshot.example without it, add api.moonshot.example to NO_PROXY.');
  });

  it('a dead proxy is retried like any connection failure, then named', async () => {
    const port = await deadPort();
    const r = await kv(['--max-attempts', '2'], { HTTP_PROXY: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain(`connection refused by the proxy http://127.0.0.1:${port} (from HTTP_PROXY)`);
  });

  it('407 from the proxy: asks for the proxy credentials, not retried', async () => {
    const proxy = await refusingProxy(407, 'Proxy Authentication Required');
    try {
      const r = await kv(['--max-attempts', '3'], { HTTP_PROXY: proxy.url });
      expect(r.code).toBe(75);
      expect(r.stderr).toContain(`error: the proxy ${proxy.url} (from HTTP_PROXY) asks for credentials (407 Proxy Authentication Required).`);
      expect(r.stderr).toContain('Put them in the proxy URL: HTTP_PROXY=http://user:password@host:port');
      expect(proxy.connects()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('502 from the proxy (it cannot reach the host): retried, then says the proxy did not open the connection', async () => {
    const proxy = await refusingProxy(502, 'Bad Gateway');
    try {
      const r = await kv(['--max-attempts', '2'], { HTTP_PROXY: proxy.url });
      expect(r.code).toBe(75);
      expect(r.stderr).toContain(`error: the proxy ${proxy.url} (from HTTP_PROXY) did not open a connection to 127.0.0.1:${emu.port} (it answered 502) (after 2 attempts).`);
      expect(r.stderr).toContain("Try again; if it persists, ask the proxy's admin, or add 127.0.0.1 to NO_PROXY.");
      expect(proxy.connects()).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy variable that is not a URL, or names a SOCKS proxy: exit 2 naming the variable, never its password', async () => {
    const bad = await kv([], { HTTP_PROXY: 'http://u:s3cret@[oops' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: HTTP_PROXY is not a proxy URL: http://***:***@[oops');
    const socks = await kv([], { http_proxy: 'socks5://127.0.0.1:1080' });
    expect(socks.code).toBe(2);
    expect(socks.stderr).toContain('http_proxy names a socks5 proxy: only http:// and https:// proxies are supported.');
    expect(bad.stderr + socks.stderr).not.toContain('s3cret');
  });
});

describe('NO_PROXY as users write it', () => {
  it.each([
    ['*', false],
    ['127.0.0.0/8', false],
    ['example.com, 127.0.0.1', false],
    ['127.0.0.1:PORT', false],
    ['[::1] 10.0.0.0/8', true],
    ['127.0.0.1:1', true],
    ['0.0.1', true],
  ])('NO_PROXY=%j: through the proxy = %s', async (noProxy, proxied) => {
    const proxy = await startProxy();
    try {
      const r = await kv([], { HTTP_PROXY: proxy.url, NO_PROXY: noProxy.replace('PORT', String(emu.port)) });
      expect(r.code).toBe(0);
      expect([...proxy.connects, ...proxy.forwards]).toEqual(proxied ? [`127.0.0.1:${emu.port}`] : []);
    } finally {
      await proxy.close();
    }
  });

  it('the choice is made per host: an image URL goes through the proxy while the API, in NO_PROXY, does not', async () => {
    const photo = readFileSync(path.join(FIXTURES, 'photo.jpg'));
    const images = createServer((_req, res) => res.writeHead(200).end(photo));
    const port = await listen(images);
    const proxy = await startProxy();
    try {
      const r = await runBin(['describe', `http://localhost:${port}/photo.jpg`, '--format', 'json'], {
        env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).images[0]).toMatchObject({ mime: 'image/jpeg', bytes: photo.length });
      expect([...proxy.connects, ...proxy.forwards]).toEqual([`localhost:${port}`]);
    } finally {
      await proxy.close();
      images.close();
    }
  });
});
