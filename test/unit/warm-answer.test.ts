// The warm-up of the answer's path (api/body-stream.ts): a made-up answer read through undici over an
// in-memory socket while the server thinks. It must finish (a socket handed back too early made
// undici wait forever), reach undici's parser through a real request, open no connection and leave
// nothing that keeps the process alive.
import net from 'node:net';
import stream from 'node:stream';
import { afterEach, expect, it, vi } from 'vitest';
import { warmAnswerPath } from '../../src/api/body-stream.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('reads a made-up answer over an in-memory socket, connects nowhere and leaves nothing open', async () => {
  const connect = vi.spyOn(net.Socket.prototype, 'connect');
  const open = () => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'Immediate').length;
  const before = open();
  const requests: string[] = [];
  const duplexPair = stream.duplexPair;
  vi.spyOn(stream, 'duplexPair').mockImplementation((...args) => {
    const made = duplexPair(...args);
    made[1].on('data', (d: Buffer) => requests.push(d.toString('latin1')));
    return made;
  });
  await warmAnswerPath();
  expect(requests.join('')).toMatch(/^POST \/ HTTP\/1\.1\r\n/);
  expect(connect).not.toHaveBeenCalled();
  // Once per process: a second call is the same warm-up.
  expect(warmAnswerPath()).toBe(warmAnswerPath());
  await new Promise((r) => setImmediate(r));
  expect(open()).toBe(before);
});
