// `npm run emulator`: serves the emulator on 127.0.0.1, prints its base URL as the only stdout line,
// logs one line per request on stderr, and closes the port and exits on SIGINT/SIGTERM.
// The script runs this file as the one process under npm (`exec node --import tsx ...`): a shell or
// tsx's own launcher in between would not pass npm's forwarded signal on, and the server would outlive npm.

import { parseArgs } from 'node:util';
import { FAULT_PRESETS } from './fault-presets.js';
import { startEmulator } from './server.js';
import type { LoggedRequest } from './types.js';

const HELP = `Usage: npm run emulator -- [options]

A Moonshot (Kimi) API emulator on 127.0.0.1. Prints its base URL (use it as MOONSHOT_BASE_URL with
any MOONSHOT_API_KEY), logs each request on stderr, and stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port <n>             port to listen on (default: $PORT, else a free one)
  --latency <ms>         delay before each chat response
  --chunk-delay <ms>     delay between stream events
  --fault <name>         every chat request meets this fault (names below)
  --retry-after          send Retry-After (seconds) with retryable 429 and 503 errors
  --retry-after-date     send Retry-After as an HTTP date instead (implies --retry-after)
  --not-found <style>    how paths outside /v1 answer: text (default, "404 page not found") or json
  -h, --help             print this help

Fault names:
${wrap(Object.keys(FAULT_PRESETS).join(', '), 2, 100)}

URL inputs: <origin>/downloads/<whole|trickle|endless>/<fixture>?every=<ms>&seconds=<s>&bytes=<n>
serves a file of fixtures/ whole, trickled or without end.
`;

function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + word.length + 1 > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

function usageError(message: string): never {
  process.stderr.write(`emulator: ${message}\nTry --help for the options.\n`);
  process.exit(2);
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) usageError(`--${name} must be a number >= 0, got ${value}`);
  return n;
}

function logLine(r: LoggedRequest): string {
  const ms = (r.endedAt ?? Date.now()) - r.startedAt;
  const body = r.body && typeof r.body === 'object' ? (r.body as Record<string, unknown>) : {};
  const model = typeof body.model === 'string' ? body.model : '-';
  return `${r.method} ${r.path} ${r.status ?? 'reset'} ${ms}ms model=${model} images=${r.images.length}\n`;
}

const OPTIONS = {
  port: { type: 'string' },
  latency: { type: 'string' },
  'chunk-delay': { type: 'string' },
  fault: { type: 'string' },
  'retry-after': { type: 'boolean' },
  'retry-after-date': { type: 'boolean' },
  'not-found': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (e) {
    // parseArgs says which option it did not know, or which value is missing.
    return usageError(e instanceof Error ? e.message : String(e));
  }
}

async function main(): Promise<void> {
  const values = parse();
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const fault = values.fault === undefined ? undefined : FAULT_PRESETS[values.fault];
  if (values.fault !== undefined && !fault) usageError(`unknown fault ${values.fault}; one of: ${Object.keys(FAULT_PRESETS).join(', ')}`);
  const notFound = values['not-found'];
  if (notFound !== undefined && notFound !== 'text' && notFound !== 'json') usageError(`--not-found must be text or json, got ${notFound}`);
  const emulator = await startEmulator({
    port: numberOption('port', values.port ?? process.env.PORT) ?? 0,
    firstByteDelayMs: numberOption('latency', values.latency) ?? 0,
    chunkDelayMs: numberOption('chunk-delay', values['chunk-delay']) ?? 0,
    ...(fault ? { alwaysFault: fault } : {}),
    retryAfterHeader: values['retry-after'] === true || values['retry-after-date'] === true,
    retryAfterDate: values['retry-after-date'] === true,
    ...(notFound ? { notFound } : {}),
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
