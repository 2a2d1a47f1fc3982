// What undici is handed as a request body: a small body as one string unless the caller waits to
// hear that it was sent (a string gives no such moment); a large one streamed in pieces. The bytes
// are the same either way.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyStream } from '../../src/api/body-stream.js';
import { resolveInputs } from '../../src/inputs/resolve.js';
import { bodySource, bodyToString, planBody } from '../../src/request/body.js';

const SMALL = path.join(import.meta.dirname, '..', '..', 'fixtures', 'small.png');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kv-body-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function planOf(name: string) {
  const [img] = await resolveInputs([name], { cwd: dir, readStdin: async () => new Uint8Array() });
  return planBody({ model: 'kimi-k2.6', stream: true }, [
    {
      role: 'user',
      content: [
        { type: 'media', image: img! },
        { type: 'text', text: 'Describe the image.' },
      ],
    },
  ]);
}

async function text(body: string | AsyncIterable<Uint8Array | string>): Promise<string> {
  if (typeof body === 'string') return body;
  let out = '';
  for await (const c of body) out += typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
  return out;
}

describe('bodyStream', () => {
  it('a small body is one string when nobody waits for the send, and the same bytes streamed when someone does', async () => {
    copyFileSync(SMALL, path.join(dir, 'a.png'));
    const plan = await planOf('a.png');
    const whole = bodyStream(bodySource(plan));
    expect(typeof whole).toBe('string');
    expect(whole).toBe(await bodyToString(plan));
    let sent = 0;
    const streamed = bodyStream(bodySource(plan), () => (sent += 1));
    expect(typeof streamed).not.toBe('string');
    expect(sent).toBe(0);
    expect(await text(streamed)).toBe(whole);
    expect(sent).toBe(1);
  });

  it('a large body is streamed even when nobody waits for the send', async () => {
    writeFileSync(path.join(dir, 'big.png'), Buffer.concat([Buffer.from(await (await import('node:fs/promises')).readFile(SMALL)), Buffer.alloc(200 * 1024)]));
    const plan = await planOf('big.png');
    const body = bodyStream(bodySource(plan));
    expect(typeof body).not.toBe('string');
    expect(Buffer.byteLength(await text(body))).toBe(plan.bytes);
  });

  it('each attempt reads the file again: a file removed since it was planned is an input error, not a stale body', async () => {
    copyFileSync(SMALL, path.join(dir, 'a.png'));
    const plan = await planOf('a.png');
    const source = bodySource(plan);
    expect(typeof bodyStream(source)).toBe('string');
    rmSync(path.join(dir, 'a.png'));
    expect(() => bodyStream(source)).toThrow(/a\.png: was removed since the run started/);
  });
});
