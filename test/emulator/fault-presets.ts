// Named faults for `npm run emulator --fault <name>`, so a person can try each hostile mode by hand.

import type { Fault } from './types.js';

const RATE_LIMITED = 'Your account request reached organization max RPM: 3, please try again after 2 seconds';

export const FAULT_PRESETS: Readonly<Record<string, Fault>> = {
  'server-error': { kind: 'error', status: 500, type: 'server_error', message: 'Internal server error, please try again later' },
  overloaded: { kind: 'error', status: 429, type: 'engine_overloaded_error', message: 'The engine is currently overloaded, please try again later' },
  'rate-limited': { kind: 'error', status: 429, type: 'rate_limit_reached_error', message: RATE_LIMITED },
  reset: { kind: 'reset' },
  'stall-headers': { kind: 'stall-headers' },
  'reset-mid-stream': { kind: 'reset-mid-stream', afterEvents: 4 },
  'stall-mid-stream': { kind: 'stall-mid-stream', afterEvents: 4 },
  'non-sse': { kind: 'non-sse' },
  'json-error-200': { kind: 'json-error-200', type: 'rate_limit_reached_error', message: RATE_LIMITED },
  'endless-stream': { kind: 'endless-stream' },
  'endless-reasoning': { kind: 'endless-stream', deltas: 'reasoning' },
  'endless-error-body': { kind: 'endless-error-body', status: 400 },
  'endless-error-body-500': { kind: 'endless-error-body', status: 500 },
  'huge-headers': { kind: 'huge-headers' },
  'sse-odd-lines': { kind: 'sse-odd-lines' },
  'sse-odd-lines-crlf': { kind: 'sse-odd-lines', lineEnding: '\r\n' },
  'sse-odd-lines-cr': { kind: 'sse-odd-lines', lineEnding: '\r' },
  'content-type-case': { kind: 'content-type-case' },
  gzip: { kind: 'gzip' },
  br: { kind: 'gzip', encoding: 'br' },
  'x-weird': { kind: 'gzip', encoding: 'x-weird' },
  'redirect-301': { kind: 'redirect', status: 301 },
  'redirect-302': { kind: 'redirect', status: 302 },
  'redirect-307': { kind: 'redirect', status: 307 },
  'redirect-308': { kind: 'redirect', status: 308 },
  'redirect-relative': { kind: 'redirect', status: 308, location: '/v1/chat/completions' },
};
