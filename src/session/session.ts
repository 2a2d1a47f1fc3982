// Saved conversations: every describe and chat is a session (JSON under the state dir), so it can be
// continued. Images are stored as references, never as base64: a file by path (with size, mtime and
// sha256, so an unchanged file is resent without re-reading it for hashing), stdin and downloads as
// content-addressed blobs, uploads as their ms:// URL. The API key is never part of a session.
import { nodeCrypto, fsPromises } from '../lazy.js';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { fsPath } from '../inputs/file-name.js';
import { ensureHashed, readFileOnce } from '../inputs/read.js';
import type { Message, Part } from '../request/messages.js';
import { writeFileAtomic } from '../store/atomic.js';
import { stateDir } from '../store/paths.js';

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

export function newSession(model: string, now = new Date()): Session {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const iso = now.toISOString();
  return { version: 1, id: `${stamp}-${nodeCrypto().randomBytes(2).toString('hex')}`, created_at: iso, updated_at: iso, model, params: {}, messages: [] };
}

const sessionsDir = (env: Record<string, string | undefined>) => path.join(stateDir(env), 'sessions');
const blobsDir = (env: Record<string, string | undefined>) => path.join(stateDir(env), 'blobs');
const lastFile = (env: Record<string, string | undefined>) => path.join(stateDir(env), 'last-session');

/** Stores the messages (media as references) and marks the session as the last one. */
export async function saveSession(s: Session, messages: readonly Message[], env: Record<string, string | undefined>): Promise<void> {
  s.messages = await Promise.all(messages.map((m) => storeMessage(m, env)));
  s.updated_at = new Date().toISOString();
  await writeFileAtomic(path.join(sessionsDir(env), `${s.id}.json`), `${JSON.stringify(s, null, 1)}\n`, 0o600);
  await writeFileAtomic(lastFile(env), `${s.id}\n`, 0o600);
}

async function storeMessage(m: Message, env: Record<string, string | undefined>): Promise<StoredMessage> {
  if (typeof m.content === 'string') return m as StoredMessage;
  const content = await Promise.all(
    m.content.map(async (p): Promise<StoredPart> => {
      if (p.type !== 'media') return p;
      const img = p.image;
      const base: StoredMedia = { type: 'media', path: img.path, mime: img.mime, kind: img.kind, bytes: img.bytes, sha256: await ensureHashed(img) };
      if (img.dimensions) base.dimensions = img.dimensions;
      if (p.url) base.url = p.url;
      if (img.source.kind === 'file') {
        const st = await fsPromises().stat(fsPath(img.source.file));
        return { ...base, file: img.source.file, mtimeMs: st.mtimeMs };
      }
      const blob = path.join(blobsDir(env), img.sha256);
      await fsPromises().mkdir(blobsDir(env), { recursive: true });
      await fsPromises().stat(blob).catch(() => fsPromises().writeFile(blob, img.source.kind === 'memory' ? img.source.data : new Uint8Array(), { mode: 0o600 }));
      return base;
    }),
  );
  return { ...m, content };
}

/** The stored session as it is on disk (no image checks). */
export async function loadSessionFile(env: Record<string, string | undefined>, id: string): Promise<Session> {
  return JSON.parse(await fsPromises().readFile(path.join(sessionsDir(env), `${id}.json`), 'utf8')) as Session;
}

/** Loads a session by id, or the last one; media references become Image values again. */
export async function loadSession(env: Record<string, string | undefined>, id?: string): Promise<{ session: Session; messages: Message[] }> {
  const which = id ?? (await fsPromises().readFile(lastFile(env), 'utf8').catch(() => '')).trim();
  if (!which) throw new UsageError('there is no conversation to continue yet.', 'Run kimi-vision describe or chat first; kimi-vision sessions lists saved ones.');
  if (!/^[\w.-]+$/.test(which)) throw new UsageError(`${which} is not a session id.`, 'kimi-vision sessions lists them.');
  const file = path.join(sessionsDir(env), `${which}.json`);
  let session: Session;
  try {
    session = JSON.parse(await fsPromises().readFile(file, 'utf8')) as Session;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(missing ? `no session ${which}.` : `session ${which} is unreadable (${file}).`, 'kimi-vision sessions lists the saved ones.');
  }
  const messages = await Promise.all(session.messages.map((m) => loadMessage(m, env)));
  return { session, messages };
}

async function loadMessage(m: StoredMessage, env: Record<string, string | undefined>): Promise<Message> {
  if (typeof m.content === 'string') return m as Message;
  const content = await Promise.all(
    m.content.map(async (p): Promise<Part> => {
      if (p.type !== 'media') return p;
      const blob = p.file ? undefined : path.join(blobsDir(env), p.sha256);
      const image: Image = {
        path: p.path, mime: p.mime, kind: p.kind, bytes: p.bytes, sha256: p.sha256, dimensions: p.dimensions,
        source: { kind: 'file', file: p.file ?? (blob as string) },
      };
      if (p.url) return { type: 'media', image, url: p.url };
      if (p.file) await checkUnchanged(p, p.file);
      else await checkBlob(p, blob as string);
      return { type: 'media', image };
    }),
  );
  return { ...m, content };
}

/**
 * The stored copy of stdin or a download must still be there, whole: else the turn would fail while
 * being sent (or send a part). Its size is checked, not its hash: blobs are written atomically.
 */
async function checkBlob(p: StoredMedia, blob: string): Promise<void> {
  const st = await fsPromises().stat(blob).catch((err: NodeJS.ErrnoException) => err);
  if (!(st instanceof Error) && st.isFile() && st.size === p.bytes) return;
  const what = st instanceof Error ? (st.code === 'ENOENT' ? 'is gone' : `cannot be read (${st.code ?? st.message})`) : `is damaged (${st.size} bytes, not ${p.bytes})`;
  throw new InputError(
    `${p.path === '-' ? 'the image from stdin' : p.path} of this conversation: its stored copy ${blob} ${what}.`,
    'Start a new conversation (without --continue), giving the image again.',
  );
}

/** Same size and mtime: unchanged, not re-read. Otherwise the content must hash the same. */
async function checkUnchanged(p: StoredMedia, file: string): Promise<void> {
  const st = await fsPromises().stat(fsPath(file)).catch(() => undefined);
  if (st && st.size === p.bytes && st.mtimeMs === p.mtimeMs) return;
  const again = st ? await readFileOnce(file, p.path).catch(() => undefined) : undefined;
  if (again?.sha256 === p.sha256) return;
  throw new InputError(
    `${p.path} ${st ? 'changed' : 'is gone'} since it was added to this conversation.`,
    'Start a new conversation (without --continue) to use the new file.',
  );
}

export interface SessionSummary {
  id: string;
  updated_at: string;
  model: string;
  turns: number;
  images: number;
  first_prompt: string;
}

export async function listSessions(env: Record<string, string | undefined>): Promise<SessionSummary[]> {
  const dir = sessionsDir(env);
  const names = (await fsPromises().readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const out: SessionSummary[] = [];
  for (const name of names) {
    try {
      const s = JSON.parse(await fsPromises().readFile(path.join(dir, name), 'utf8')) as Session;
      const users = s.messages.filter((m) => m.role === 'user');
      const parts = users.flatMap((m) => (typeof m.content === 'string' ? [] : m.content));
      const first = users[0]?.content;
      const text = typeof first === 'string' ? first : (first?.find((p) => p.type === 'text') as { text?: string } | undefined)?.text ?? '';
      out.push({ id: s.id, updated_at: s.updated_at, model: s.model, turns: users.length, images: parts.filter((p) => p.type !== 'text').length, first_prompt: text });
    } catch {
      // a damaged session file is skipped, not fatal
    }
  }
  return out.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
}

