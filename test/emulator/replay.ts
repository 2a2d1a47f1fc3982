// Serving a recorded capture verbatim: a .jsonl stream (one data: event per line, then [DONE]) or
// a .json body (status from an `error-NNN` name, else 200).

import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { ApiError } from './respond.js';
import { SseWriter, type SseStyle } from './sse.js';
import { capturesDir, type Ctx } from './state.js';

function capturePath(file: string, dir: string): string {
  return isAbsolute(file) ? file : join(dir, file);
}

/** The payload lines of a .jsonl capture, byte for byte (empty lines skipped). */
function captureLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
    if (nl > start) lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  if (start < data.length) lines.push(data.subarray(start));
  return lines;
}

/** The reasoning a capture hands the client (its deltas joined, or its message's field). */
function captureReasoning(data: Buffer, jsonl: boolean): string {
  const docs: any[] = [];
  for (const line of jsonl ? captureLines(data) : [data]) {
    try {
      docs.push(JSON.parse(line.toString('utf8')));
    } catch {
      // not JSON: nothing to remember
    }
  }
  const field = (v: unknown): string => (typeof v === 'string' ? v : '');
  return docs.map((d) => field(jsonl ? d?.choices?.[0]?.delta?.reasoning_content : d?.choices?.[0]?.message?.reasoning_content)).join('');
}

export async function replayCapture(c: Ctx, file: string, style: SseStyle): Promise<void> {
  const path = capturePath(file, capturesDir(c.state.opts));
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    throw new ApiError(500, 'server_error', `emulator: cannot read capture ${path}`);
  }
  // What a capture's model reasoned is the emulator's own output now: a client may send it back.
  c.state.reasoning.remember(captureReasoning(data, path.endsWith('.jsonl')));
  if (path.endsWith('.jsonl')) {
    const sse = new SseWriter(c.res, style, c.state.closing.signal);
    sse.start();
    for (const line of captureLines(data)) {
      if (!(await sse.data(line.toString('utf8')))) return;
    }
    if (await sse.data('[DONE]')) sse.end();
    return;
  }
  const status = Number(/error-(\d{3})/.exec(basename(path))?.[1] ?? 200);
  c.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length) });
  c.res.end(data);
}
