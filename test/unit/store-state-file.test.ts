// Damaged state is a clear error: the shape checker's messages, and the safe reader refusing what is
// not a regular file (without blocking), what is too large, not UTF-8, not JSON or of the wrong shape.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DamagedStateError, EXIT, KvError } from '../../src/errors.js';
import { array, boolean, count, expectShape, literal, nullable, number, object, oneOf, optional, record, string, unknown, type Infer, type Shape } from '../../src/store/shape.js';
import { currentIdentity, readStateFile, readStateJson, sameIdentity } from '../../src/store/state-file.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'kv-state-'));

function damaged(f: () => unknown): DamagedStateError {
  try {
    f();
  } catch (err) {
    if (err instanceof DamagedStateError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

// A session-like shape, as a state loader would declare it.
const part = object({ type: literal('text', 'image_url'), text: optional(string) });
const message = object({ role: literal('system', 'user', 'assistant', 'tool'), content: oneOf(string, array(part), 'a string or an array of parts') });
const session = object({ id: string, model: string, created: number, messages: array(message), usage: optional(object({ total_tokens: count })), pinned: optional(boolean) });
const FILE = '/state/sessions/s1.json';

describe('expectShape', () => {
  const good = {
    id: 's1',
    model: 'kimi-k2.6',
    created: 1,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: 'hello' },
    ],
  };

  it('returns a value of the right shape, typed, with its extra fields kept', () => {
    const v: Infer<typeof session> = expectShape({ ...good, extra: true }, session, FILE);
    expect(v.messages[1]!.content).toBe('hello');
    expect((v as unknown as { extra: boolean }).extra).toBe(true);
  });

  it.each([
    ['{}', {}, 'id is missing'],
    ['null', null, 'the file must be an object, not null'],
    ['[]', [], 'the file must be an object, not an array'],
    ['a number', 3, 'the file must be an object, not a number'],
    ['a wrong type', { ...good, id: 7 }, 'id must be a string, not a number'],
    ['messages not an array', { ...good, messages: {} }, 'messages must be an array, not an object'],
    [
      'a role that is not a string',
      { ...good, messages: [...good.messages, { role: 3, content: 'x' }] },
      'messages[2].role must be "system" or "user" or "assistant" or "tool", not a number',
    ],
    ['an unknown role', { ...good, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role must be "system" or "user" or "assistant" or "tool", not a string'],
    ['a bad part deep inside', { ...good, messages: [{ role: 'user', content: [{ type: 'text', text: 1 }] }] }, 'messages[0].content[0].text must be a string, not a number'],
    ['content neither string nor array', { ...good, messages: [{ role: 'user', content: null }] }, 'messages[0].content must be a string or an array of parts, not null'],
    ['NaN-like numbers (JSON gives none, but a loader might)', { ...good, created: Infinity }, 'created must be a number, not not a finite number'],
    ['a negative count', { ...good, usage: { total_tokens: -1 } }, 'usage.total_tokens must be a whole number of at least 0, not a number'],
    ['a fractional count', { ...good, usage: { total_tokens: 1.5 } }, 'usage.total_tokens must be a whole number of at least 0, not a number'],
    ['an optional field of the wrong type', { ...good, pinned: 'yes' }, 'pinned must be a boolean, not a string'],
  ])('%s: damaged: <path> (%s), exit 2 with a hint', (_name, value, detail) => {
    const err = damaged(() => expectShape(value, session, FILE));
    expect(err.message).toBe(`damaged: ${FILE} (${detail}).`);
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toBe(`Fix or remove it: rm ${FILE}`);
  });

  it('never shows the value found (a config file holds the API key)', () => {
    const config = object({ api_key: optional(string), model: optional(string) });
    const err = damaged(() => expectShape({ api_key: ['sk-secret-123'] }, config, '/c/config.json', 'Run kimi-vision config list to see it.'));
    expect(err.message).toBe('damaged: /c/config.json (api_key must be a string, not an array).');
    expect(err.hint).toBe('Run kimi-vision config list to see it.');
  });

  it.each([
    ['record: every value checked, keys named', record(object({ id: string })), { ab12: { id: 'f1' }, cd34: { id: 2 } }, '"cd34".id must be a string, not a number'],
    ['nullable', object({ error: nullable(object({ code: count })) }), { error: { code: 'x' } }, 'error.code must be a whole number of at least 0, not a string'],
    ['literal numbers', object({ v: literal(1) }), { v: 2 }, 'v must be 1, not a number'],
    ['number', object({ n: number }), { n: '1' }, 'n must be a number, not a string'],
  ] as [string, Shape<unknown>, unknown, string][])('%s', (_name, shape, value, detail) => {
    expect(damaged(() => expectShape(value, shape, FILE)).message).toBe(`damaged: ${FILE} (${detail}).`);
  });

  it('unknown takes anything, nullable takes null, optional takes a missing field', () => {
    const s = object({ any: unknown, n: nullable(string), o: optional(string) });
    expect(expectShape({ any: [1], n: null }, s, FILE)).toEqual({ any: [1], n: null });
  });
});

describe('readStateFile', () => {
  it('reads a file, with its identity; a missing one (or a missing folder) is undefined', () => {
    const dir = fresh();
    const file = path.join(dir, 'a.json');
    writeFileSync(file, '{"a":"é"}');
    const r = readStateFile(file)!;
    expect(r.text).toBe('{"a":"é"}');
    expect(sameIdentity(r.identity, currentIdentity(file))).toBe(true);
    expect(readStateFile(path.join(dir, 'none.json'))).toBeUndefined();
    expect(readStateFile(path.join(file, 'below-a-file.json'))).toBeUndefined();
  });

  it('a FIFO is refused at once, without waiting for a writer', () => {
    const fifo = path.join(fresh(), 'config.json');
    execFileSync('mkfifo', [fifo]);
    const err = damaged(() => readStateFile(fifo));
    expect(err.message).toBe(`damaged: ${fifo} (a FIFO (named pipe), not a file).`);
    expect(err.hint).toBe(`Fix or remove it: rm ${fifo}`);
  });

  it('a socket is refused', async () => {
    const sock = path.join(fresh(), 'session.json');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(damaged(() => readStateFile(sock)).message).toBe(`damaged: ${sock} (a socket, not a file).`);
    } finally {
      server.close();
    }
  });

  it.each([
    ['/dev/zero', 'a device'],
    ['/dev/null', 'a device'],
  ])('a device (%s) is refused without reading it', (dev, what) => {
    expect(damaged(() => readStateFile(dev)).message).toBe(`damaged: ${dev} (${what}, not a file).`);
  });

  it('a folder is refused', () => {
    const dir = path.join(fresh(), 'config.json');
    mkdirSync(dir);
    expect(damaged(() => readStateFile(dir)).message).toBe(`damaged: ${dir} (a folder, not a file).`);
  });

  it('a file over the size limit is refused', () => {
    const file = path.join(fresh(), 'uploads.json');
    writeFileSync(file, 'x'.repeat(101));
    expect(damaged(() => readStateFile(file, { maxBytes: 100 })).message).toBe(`damaged: ${file} (101 bytes, more than the 100 a state file may have).`);
    writeFileSync(file, 'x'.repeat(100));
    expect(readStateFile(file, { maxBytes: 100 })!.text).toHaveLength(100);
  });

  it('bytes that are not UTF-8 are refused', () => {
    const file = path.join(fresh(), 'a.json');
    writeFileSync(file, Buffer.from([0x7b, 0xff, 0x7d]));
    expect(damaged(() => readStateFile(file)).message).toBe(`damaged: ${file} (not UTF-8 text).`);
  });
});

describe('readStateJson', () => {
  it.each([
    ['not JSON', '{"id": ', /^not valid JSON: /],
    ['empty (a write cut short by an old version)', '', /^not valid JSON: /],
    ['{}', '{}', /^id is missing$/],
    ['null', 'null', /^the file must be an object, not null$/],
    ['[]', '[]', /^the file must be an object, not an array$/],
  ])('%s: damaged, exit 2, never a TypeError', (_name, text, detail) => {
    const file = path.join(fresh(), 's1.json');
    writeFileSync(file, text);
    const err = damaged(() => readStateJson(file, session));
    expect(err).toBeInstanceOf(KvError);
    expect(err.exitCode).toBe(2);
    const inner = /^damaged: .*? \((.*)\)\.$/.exec(err.message)![1]!;
    expect(inner).toMatch(detail);
  });

  it('returns the typed value and its identity; undefined when there is no file', () => {
    const file = path.join(fresh(), 's1.json');
    expect(readStateJson(file, session)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ id: 's1', model: 'm', created: 2, messages: [] }));
    const r = readStateJson(file, session, { hint: 'Remove it: kimi-vision sessions rm s1' })!;
    expect(r.value.id).toBe('s1');
    expect(r.identity.size).toBe(Buffer.byteLength(readStateFile(file)!.text));
  });
});
