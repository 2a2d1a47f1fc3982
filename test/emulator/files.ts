// /v1/files: multipart upload, list, get, delete, content. Images uploaded with purpose image can be
// referenced as ms://<id>; batch inputs and outputs live here too.

import { imageSize, sniffMedia, type Size, type Sniffed } from './media.js';
import { sha256, type FileLookup } from './inspect.js';
import { ApiError, badRequest, BODY_LIMIT, hex, notFound, readBody, sendError, sendJson } from './respond.js';
import type { Ctx } from './state.js';

export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  data: Buffer;
  sha256: string;
  sniffed: Sniffed;
  size: Size | undefined;
}

const PURPOSES = new Set(['image', 'video', 'file-extract', 'batch']);
const MAX_FILES = 1_000;
/** Room for the multipart framing around a file of up to 100 MB. */
const FORM_OVERHEAD = 1024 * 1024;

export class FileStore {
  private readonly files = new Map<string, StoredFile>();

  add(data: Buffer, filename: string, purpose: string): StoredFile {
    const sniffed = sniffMedia(data);
    const file: StoredFile = {
      id: `file-${hex(10)}`,
      filename,
      purpose,
      createdAt: Math.floor(Date.now() / 1000),
      data,
      sha256: sha256(data),
      sniffed,
      size: sniffed.kind === 'image' ? imageSize(data, sniffed.mime) : undefined,
    };
    this.files.set(file.id, file);
    return file;
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  delete(id: string): boolean {
    return this.files.delete(id);
  }

  list(): StoredFile[] {
    return [...this.files.values()];
  }

  readonly lookup: FileLookup = (id) => {
    const f = this.files.get(id);
    return f && { purpose: f.purpose, bytes: f.data.length, sha256: f.sha256, sniffed: f.sniffed, size: f.size };
  };
}

function fileObject(f: StoredFile): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.data.length,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'ok',
    status_details: '',
  };
}

/** Handles every /v1/files route; false when the path is not one of them. */
export async function handleFiles(c: Ctx): Promise<boolean> {
  const { req, res, path, state } = c;
  const m = /^\/v1\/files(?:\/([^/]+)(\/content)?)?$/.exec(path);
  if (!m) return false;
  const [, id, content] = m;
  const method = req.method ?? 'GET';
  if (!id && method === 'POST') {
    await upload(c);
    return true;
  }
  if (!id && method === 'GET') {
    const purpose = new URL(req.url ?? '/', 'http://x').searchParams.get('purpose');
    const data = state.files
      .list()
      .filter((f) => !purpose || f.purpose === purpose)
      .map(fileObject);
    sendJson(res, 200, { object: 'list', data });
    return true;
  }
  const file = id ? state.files.get(id) : undefined;
  if (id && (method === 'GET' || method === 'DELETE') && !file) {
    sendError(res, notFound(`Not found the file ${id}`));
    return true;
  }
  if (!file) return false;
  if (method === 'GET' && content) {
    const type = file.sniffed.kind === 'other' ? 'application/octet-stream' : file.sniffed.mime;
    res.writeHead(200, { 'content-type': type, 'content-length': String(file.data.length) });
    res.end(file.data);
  } else if (method === 'GET') {
    sendJson(res, 200, fileObject(file));
  } else if (method === 'DELETE' && !content) {
    state.files.delete(file.id);
    sendJson(res, 200, { id: file.id, object: 'file', deleted: true });
  } else {
    return false;
  }
  return true;
}

async function upload(c: Ctx): Promise<void> {
  const { req, res, log, state } = c;
  const body = await readBody(req, BODY_LIMIT + FORM_OVERHEAD, (n) => (log.bodyBytes = n));
  if (body.kind === 'too-large') {
    sendError(res, new ApiError(413, 'invalid_request_error', 'Invalid request: file too large, the limit is 100 MB'));
    return;
  }
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    sendError(res, badRequest('Invalid request: files must be uploaded as multipart/form-data'));
    return;
  }
  let form: FormData;
  try {
    form = await new Response(body.buf, { headers: { 'content-type': type } }).formData();
  } catch {
    sendError(res, badRequest('Invalid request: malformed multipart/form-data body'));
    return;
  }
  const file = form.get('file');
  const purpose = form.get('purpose');
  log.body = { purpose, filename: typeof file === 'string' || !file ? undefined : file.name };
  const error = await checkUpload(file, purpose, state.files.list().length);
  if (typeof error === 'string') {
    sendError(res, badRequest(error));
    return;
  }
  sendJson(res, 200, fileObject(state.files.add(error.data, error.name, purpose as string)));
}

type Entry = ReturnType<FormData['get']>;

async function checkUpload(file: Entry, purpose: Entry, count: number): Promise<string | { data: Buffer; name: string }> {
  if (!file || typeof file === 'string') return 'Invalid request: the form needs a file field';
  if (typeof purpose !== 'string' || !PURPOSES.has(purpose)) {
    return 'Invalid request: purpose must be one of image, video, file-extract, batch';
  }
  if (count >= MAX_FILES) return `Invalid request: too many files, the limit is ${MAX_FILES}`;
  if (file.size === 0) return 'Invalid request: the file is empty';
  if (file.size > BODY_LIMIT) return 'Invalid request: file too large, the limit is 100 MB';
  const data = Buffer.from(await file.arrayBuffer());
  const sniffed = sniffMedia(data);
  if ((purpose === 'image' || purpose === 'video') && sniffed.kind !== purpose) {
    return `Invalid request: unsupported ${purpose} format: ${sniffed.mime}`;
  }
  return { data, name: file.name || 'upload' };
}
