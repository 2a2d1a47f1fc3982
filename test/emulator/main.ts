// `npm run emulator`: serves the emulator on 127.0.0.1, prints its base URL as the only stdout line,
// logs one line per request on stderr, and exits cleanly on SIGINT/SIGTERM.
//   --port N (or PORT)   --latency <ms> (before each chat response)   --chunk-delay <ms> (between events)

import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';
import type { LoggedRequest } from './types.js';

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`emulator: --${name} must be a number >= 0, got ${value}\n`);
    process.exit(2);
  }
  return n;
}

function logLine(r: LoggedRequest): string {
  const ms = (r.endedAt ?? Date.now()) - r.startedAt;
  const body = r.body && typeof r.body === 'object' ? (r.body as Record<string, unknown>) : {};
  const model = typeof body.model === 'string' ? body.model : '-';
  return `${r.method} ${r.path} ${r.status ?? 'reset'} ${ms}ms model=${model} images=${r.images.length}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      latency: { type: 'string' },
      'chunk-delay': { type: 'string' },
    },
    strict: true,
  });
  const emulator = await startEmulator({
    port: numberOption('port', values.port ?? process.env.PORT) ?? 0,
    firstByteDelayMs: numberOption('latency', values.latency) ?? 0,
    chunkDelayMs: numberOption('chunk-delay', values['chunk-delay']) ?? 0,
    onRequestEnd: (r) => process.stderr.write(logLine(r)),
  });
  process.stdout.write(`${emulator.baseUrl}\n`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
