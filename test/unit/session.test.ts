// Saved conversations read back and written safely: the shape a session must have (damaged: exit 2,
// never a TypeError; ids and hashes that cannot name a file outside their folders), the save's
// compare-and-swap (a stale turn refused, nothing overwritten), blobs that are whole or replaced,
// and the listing that skips what is damaged.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DamagedStateError, EXIT, type KvError } from '../../src/errors.js';
import type { Message } from '../../src/request/messages.js';
import { blobFile, storeBlob } from '../../src/session/blobs.js';
import { listSessions } from '../../src/session/list.js';
import { loadSession, newSession, saveSession, sessionFile } from '../../src/session/session.js';
import { sessionShape } from '../../src/session/shape.js';
import { expectShape } from '../../src/store/shape.js';
import { ChangedMeanwhileError } from '../../src/store/update.js';

const env = () => ({ KIMI_VISION_HOME: mkdtempSync(path.join(tmpdir(), 'kv-session-')) });
const SHA = 'c'.repeat(64);
const media = { type: 'media', path: 'shot.png', mime: 'image/png', kind: 'image', bytes: 3, sha256: SHA };
const good = {
  version: 1,
  id: '20261201-120000-ab12',
  created_at: '2026-12-01T12:00:00.000Z',
  updated_at: '2026-12-01T12:00:00.000Z',
  model: 'kimi-k3',
  params: {},
  messages: [
    { role: 'user', content: [media, { type: 'text', text: 'What is it?' }] },
    { role: 'assistant', content: 'A cat.', reasoning_content: 'Fur.', tool_calls: [{ id: 't0', type: 'function', function: { name: 'f', arguments: '{}' } }] },
  ],
};
const FILE = '/state/sessions/s.json';
const problem = (v: unknown): string => {
  try {
    expectShape(v, sessionShape, FILE);
  } catch (err) {
    if (err instanceof DamagedStateError) return err.message;
    throw err;
  }
  return 'ok';
};
const withMessage = (m: unknown) => ({ ...good, messages: [m] });

describe('the shape of a saved session', () => {
  it.each([
    ['a whole session', good, 'ok'],
    ['{}', {}, 'version is missing'],
    ['null', null, 'the file must be an object, not null'],
    ['[]', [], 'the file must be an object, not an array'],
    ['another version', { ...good, version: 2 }, 'version must be 1, not a number'],
    ['an id that walks out of its folder', { ...good, id: '../../x' }, 'id must be a session id, not a string'],
    ['params as an array', { ...good, params: [] }, 'params must be an object, not an array'],
    ['messages missing', { ...good, messages: undefined }, 'messages is missing'],
    ['an unknown role', withMessage({ role: 'robot', content: 'x' }), 'messages[0].role must be "system" or "user" or "assistant" or "tool", not a string'],
    ['content as a number', withMessage({ role: 'user', content: 7 }), 'messages[0].content must be a string or an array of parts, not a number'],
    [
      'a part of no known type',
      withMessage({ role: 'user', content: [{ type: 'audio' }] }),
      'messages[0].content[0].type must be "media", "text", "image_url" or "video_url", not a string',
    ],
    ['a part that is a string', withMessage({ role: 'user', content: ['x'] }), 'messages[0].content[0] must be an object, not a string'],
    [
      'a hash that names another file',
      withMessage({ role: 'user', content: [{ ...media, sha256: '../../etc/passwd' }] }),
      'messages[0].content[0].sha256 must be a sha256 (64 hex digits), not a string',
    ],
    ['bytes negative', withMessage({ role: 'user', content: [{ ...media, bytes: -1 }] }), 'messages[0].content[0].bytes must be a whole number of at least 0, not a number'],
    ['a text part without text', withMessage({ role: 'user', content: [{ type: 'text' }] }), 'messages[0].content[0].text is missing'],
    ['tool calls of the wrong shape', withMessage({ role: 'assistant', content: '', tool_calls: [{ id: 't0' }] }), 'messages[0].tool_calls[0].function is missing'],
    ['reasoning that is not text', withMessage({ role: 'assistant', content: '', reasoning_content: 3 }), 'messages[0].reasoning_content must be a string, not a number'],
  ])('%s: %s', (_name, value, expected) => {
    const said = problem(value);
    expect(said).toBe(expected === 'ok' ? 'ok' : `damaged: ${FILE} (${expected}).`);
  });
});

const turn = (text: string): Message[] => [
  { role: 'user', content: [{ type: 'text', text }] },
  { role: 'assistant', content: `About ${text}.` },
];

describe('saving a session', () => {
  it("refuses a save computed from a stale read: the other run's turn stays, exit 75", async () => {
    const e = env();
    const first = await saveSession(newSession('kimi-k2.6'), turn('one'), e);
    const a = await loadSession(e, first.id);
    const b = await loadSession(e, first.id);
    await saveSession(a.session, [...a.messages, ...turn('two')], e, a.identity);
    const err = await saveSession(b.session, [...b.messages, ...turn('three')], e, b.identity).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(ChangedMeanwhileError);
    expect((err as KvError).exitCode).toBe(EXIT.temporary);
    const kept = JSON.parse(readFileSync(sessionFile(e, first.id), 'utf8')) as { messages: { content: unknown }[] };
    expect(JSON.stringify(kept.messages)).toContain('two');
    expect(JSON.stringify(kept.messages)).not.toContain('three');
    expect(readdirSync(path.dirname(sessionFile(e, first.id)))).toEqual([`${first.id}.json`]); // no temporary, no lock
    expect(statSync(sessionFile(e, first.id)).mode & 0o777).toBe(0o600);
  });

  it('a new session never overwrites one that already has its id', async () => {
    const e = env();
    const s = newSession('kimi-k2.6');
    await saveSession(s, turn('one'), e);
    await expect(saveSession(s, turn('other'), e)).rejects.toBeInstanceOf(ChangedMeanwhileError);
  });

  it('a file that holds another conversation than its name says is damaged', async () => {
    const e = env();
    const s = await saveSession(newSession('kimi-k2.6'), turn('one'), e);
    writeFileSync(sessionFile(e, '20990101-000000-ffff'), readFileSync(sessionFile(e, s.id)));
    await expect(loadSession(e, '20990101-000000-ffff')).rejects.toThrow(
      `damaged: ${sessionFile(e, '20990101-000000-ffff')} (it holds the conversation ${s.id}, not 20990101-000000-ffff).`,
    );
  });

  it('a damaged last-session file is said as such', async () => {
    const e = env();
    mkdirSync(path.join(e.KIMI_VISION_HOME, 'state'), { recursive: true });
    writeFileSync(path.join(e.KIMI_VISION_HOME, 'state', 'last-session'), '../../etc/passwd\n');
    await expect(loadSession(e)).rejects.toBeInstanceOf(DamagedStateError);
  });
});

describe('blobs', () => {
  it('a partial blob is replaced by the whole one; a whole one is kept as it is', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-blobs-'));
    const data = Buffer.from('the bytes of an image');
    const sha = (await import('node:crypto')).createHash('sha256').update(data).digest('hex');
    writeFileSync(blobFile(dir, sha), data.subarray(0, 5)); // an older version wrote in place, and died
    await storeBlob(dir, sha, data);
    expect(readFileSync(blobFile(dir, sha))).toEqual(data);
    const ino = statSync(blobFile(dir, sha)).ino;
    await storeBlob(dir, sha, data);
    expect(statSync(blobFile(dir, sha)).ino).toBe(ino);
    expect(readdirSync(dir)).toEqual([sha]);
  });
});

describe('listing sessions', () => {
  it('skips a damaged file and says which, listing the others', async () => {
    const e = env();
    const s = await saveSession(newSession('kimi-k2.6'), turn('one'), e);
    writeFileSync(sessionFile(e, '20990101-000000-dead'), '{"version":1}');
    const { sessions, skipped } = await listSessions(e);
    expect(sessions.map((x) => x.id)).toEqual([s.id]);
    expect(skipped).toEqual([`damaged: ${sessionFile(e, '20990101-000000-dead')} (id is missing).`]);
  });
});
