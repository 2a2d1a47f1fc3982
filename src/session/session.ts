// Saved conversations: every describe and chat is a session (JSON under the state dir), so it can be
// continued. Images are stored as references, never as base64: a file by path (with size, mtime and
// sha256, so an unchanged file is resent without re-reading it for hashing), stdin and downloads as
// content-addressed blobs (blobs.ts), uploads as their ms:// URL. The API key is never part of a session.
//
// A session read back is checked (shape.ts): damaged is exit 2, never a TypeError. A save is a
// compare-and-swap on the file as it was read (store/update.ts): a turn is computed from the history
// it read, so when another run continued the conversation meanwhile, this turn is refused (the
// caller says so) rather than written over the other's, or appended after a turn it never saw.
import { nodeCrypto, fsPromises } from '../lazy.js';
import path from 'node:path';
import { DamagedStateError, InputError, UsageError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { fsPath } from '../inputs/file-name.js';
import { ensureHashed, readFileOnce } from '../inputs/read.js';
import type { Message, Part } from '../request/messages.js';
import { writeFileAtomic } from '../store/atomic.js';
import { storePaths, type StorePaths } from '../store/paths.js';
import { readStateFile, readStateJson, type FileIdentity } from '../store/state-file.js';
import { replaceIfUnchanged } from '../store/update.js';
import { blobFile, checkBlob, storeBlob } from './blobs.js';
import { SESSION_ID, sessionShape } from './shape.js';

type Env = Record<string, string | undefined>;

type StoredMedia = {
  type: 'media';
  path: string;
  mime: string;
  kind: Image['kind'];
  bytes: number;
  sha256: string;
  dimensions?: { width: number; height: number };
  /** Absolute file path (files), or absent when the bytes are in the blob store. */
  file?: string;
  mtimeMs?: number;
  /** The `ms://` reference of an upload: resent instead of the bytes. */
  url?: string;
};
type StoredPart = Exclude<Part, { type: 'media' }> | StoredMedia;
export interface StoredMessage {
  role: Message['role'];
  content: string | StoredPart[];
  [extra: string]: unknown;
}

export interface Session {
  version: 1;
  id: string;
  created_at: string;
  updated_at: string;
  model: string;
  /** Request fields that stay for the whole conversation: response_format, tools, tool_choice. */
  params: Record<string, unknown>;
  messages: StoredMessage[];
}

/** A session as loaded for a new turn: with the identity of its file, for the save's compare-and-swap. */
export interface LoadedSession {
  session: Session;
  messages: Message[];
  identity: FileIdentity | undefined;
}

export function newSession(model: string, now = new Date()): Session {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const iso = now.toISOString();
  return { version: 1, id: `${stamp}-${nodeCrypto().randomBytes(2).toString('hex')}`, created_at: iso, updated_at: iso, model, params: {}, messages: [] };
}

export function sessionFile(env: Env, id: string): string {
  return path.join(storePaths(env).sessionsDir, `${id}.json`);
}

const damagedHint = (file: string) => `This conversation cannot be continued; remove it (rm ${file}) and start a new one. kimi-vision sessions lists the others.`;

/**
 * Stores the messages (media as references, new blobs first) as session `s`, if its file is still
 * the one read (`seen`; undefined for a new session: no file yet), and marks it as the last one.
 * Another run's save in between: a LockedError (exit 75), nothing overwritten. Returns what was saved.
 */
export async function saveSession(s: Session, messages: readonly Message[], env: Env, seen?: FileIdentity): Promise<Session> {
  const paths = storePaths(env);
  const saved: Session = { ...s, messages: await Promise.all(messages.map((m) => storeMessage(m, paths))), updated_at: new Date().toISOString() };
  const file = path.join(paths.sessionsDir, `${s.id}.json`);
  await replaceIfUnchanged(file, seen, `${JSON.stringify(saved, null, 1)}\n`, { mode: 0o600, durable: true, what: `the conversation ${s.id}` });
  await writeFileAtomic(paths.lastSessionFile, `${s.id}\n`, { mode: 0o600 });
  return saved;
}

async function storeMessage(m: Message, paths: StorePaths): Promise<StoredMessage> {
  if (typeof m.content === 'string') return m as StoredMessage;
  const content = await Promise.all(
    m.content.map(async (p): Promise<StoredPart> => {
      if (p.type !== 'media') return p;
      const img = p.image;
      const base: StoredMedia = { type: 'media', path: img.path, mime: img.mime, kind: img.kind, bytes: img.bytes, sha256: await ensureHashed(img) };
      if (img.dimensions) base.dimensions = img.dimensions;
      if (p.url) base.url = p.url;
      // An image resent from its blob stays a blob reference (checked by its hash when loaded).
      if (img.source.kind === 'file' && img.source.file === blobFile(paths.blobsDir, img.sha256)) return base;
      if (img.source.kind === 'file') {
        // Its mtime as it was read, not as it is now: a file rewritten since the send (at the same
        // size) is then seen as changed on --continue and hashed again. Without one (an image
        // made otherwise) it is taken now; a file gone by now is kept without: --continue says so.
        const mtimeMs =
          img.mtimeMs ??
          (await fsPromises()
            .stat(fsPath(img.source.file))
            .then((st) => st.mtimeMs)
            .catch(() => undefined));
        return { ...base, file: img.source.file, ...(mtimeMs !== undefined ? { mtimeMs } : {}) };
      }
      await storeBlob(paths.blobsDir, img.sha256, img.source.data);
      return base;
    }),
  );
  return { ...m, content };
}

/** The stored session as it is on disk (checked, but no image checks): chat's /save. */
export async function loadSessionFile(env: Env, id: string): Promise<Session> {
  return readSession(env, id).session;
}

/** Loads a session by id, or the last one; media references become Image values again. */
export async function loadSession(env: Env, id?: string): Promise<LoadedSession> {
  const { session, identity } = readSession(env, id);
  const { blobsDir } = storePaths(env);
  const messages = await Promise.all(session.messages.map((m) => loadMessage(m, blobsDir)));
  return { session, messages, identity };
}

function readSession(env: Env, id: string | undefined): { session: Session; identity: FileIdentity } {
  const paths = storePaths(env);
  const which = id ?? lastSessionId(paths.lastSessionFile);
  if (!which) throw new UsageError('there is no conversation to continue yet.', 'Run kimi-vision describe or chat first; kimi-vision sessions lists saved ones.');
  if (!SESSION_ID.test(which)) throw new UsageError(`${which} is not a session id.`, 'kimi-vision sessions lists them.');
  const file = path.join(paths.sessionsDir, `${which}.json`);
  const read = readStateJson(file, sessionShape, { hint: damagedHint(file) });
  if (!read) throw new UsageError(`no session ${which}.`, 'kimi-vision sessions lists the saved ones.');
  // The id names the file a save writes: a file holding another id (copied by hand) would be saved elsewhere.
  if (read.value.id !== which) throw new DamagedStateError(file, `it holds the conversation ${read.value.id}, not ${which}`, damagedHint(file));
  return { session: read.value as Session, identity: read.identity };
}

/** The id in the last-session file; undefined when there is none yet. */
function lastSessionId(file: string): string | undefined {
  const id = readStateFile(file, { maxBytes: 4096 })?.text.trim();
  if (id && !SESSION_ID.test(id)) throw new DamagedStateError(file, 'it does not hold a session id', `Remove it (rm ${file}); --session <id> still continues a conversation.`);
  return id || undefined;
}

async function loadMessage(m: StoredMessage, blobsDir: string): Promise<Message> {
  if (typeof m.content === 'string') return m as Message;
  const content = await Promise.all(
    m.content.map(async (p): Promise<Part> => {
      if (p.type !== 'media') return p;
      const file = p.file ?? blobFile(blobsDir, p.sha256);
      const image: Image = {
        path: p.path,
        mime: p.mime,
        kind: p.kind,
        bytes: p.bytes,
        sha256: p.sha256,
        dimensions: p.dimensions,
        source: { kind: 'file', file },
        ...(p.mtimeMs !== undefined ? { mtimeMs: p.mtimeMs } : {}),
      };
      if (p.url) return { type: 'media', image, url: p.url };
      if (p.file) await checkUnchanged(p, p.file);
      else await checkBlob(file, p);
      return { type: 'media', image };
    }),
  );
  return { ...m, content };
}

/** Same size and mtime: unchanged, not re-read. Otherwise the content must hash the same. */
async function checkUnchanged(p: StoredMedia, file: string): Promise<void> {
  const st = await fsPromises()
    .stat(fsPath(file))
    .catch(() => undefined);
  if (st && st.size === p.bytes && st.mtimeMs === p.mtimeMs) return;
  const again = st ? await readFileOnce(file, p.path).catch(() => undefined) : undefined;
  if (again?.sha256 === p.sha256) return;
  throw new InputError(`${p.path} ${st ? 'changed' : 'is gone'} since it was added to this conversation.`, 'Start a new conversation (without --continue) to use the new file.');
}
