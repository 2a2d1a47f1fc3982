// The emulator as a child of the bench (bench/emulator-process.ts starts it): listens on 127.0.0.1,
// sends its base URL, then answers the bench's calls (set, reset, the request log) over IPC, and
// exits when the channel closes. Logs nothing: a request line each would be CPU taken from the
// runs it serves.
import { startEmulator } from '../test/emulator/server.js';
import type { LoggedRequest } from '../test/emulator/types.js';
import type { Call, PlainOptions, Reply, SlimRequest } from './emulator-process.js';

const slim = (r: LoggedRequest): SlimRequest => ({
  status: r.status,
  sha256: r.images[0]?.sha256,
  images: r.images.length,
  bodyBytes: r.bodyBytes,
  startedAt: r.startedAt,
  endedAt: r.endedAt,
});

const send = (m: Reply | { ready: string }): void => {
  process.send?.(m);
};

const emu = await startEmulator(JSON.parse(process.argv[2] ?? '{}') as PlainOptions);

process.on('message', (c: Call) => {
  try {
    if (c.op === 'set') emu.set({ ...c.options, ...Object.fromEntries(c.unset.map((k) => [k, undefined])) });
    else if (c.op === 'reset') emu.reset();
    else if (c.op === 'chatRequests') return send({ id: c.id, ok: true, value: emu.chatRequests().map(slim) });
    else if (c.op === 'peakInFlight') return send({ id: c.id, ok: true, value: emu.peakInFlight });
    send({ id: c.id, ok: true });
  } catch (err) {
    send({ id: c.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});

process.on('disconnect', () => {
  void emu.close().finally(() => process.exit(0));
});

send({ ready: emu.baseUrl });
