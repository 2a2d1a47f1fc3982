// A small forward proxy on loopback for proxy tests: CONNECT tunnels (https) and absolute-form
// requests (http). It records what passed through it.
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';

export interface Proxy {
  url: string;
  connects: string[];
  forwards: string[];
  close(): Promise<void>;
}

export async function startProxy(): Promise<Proxy> {
  const connects: string[] = [];
  const forwards: string[] = [];
  const server: Server = createServer((req, res) => {
    forwards.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    forwards,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
