// --upload: each image goes to /v1/files once and is sent as `ms://<id>` from then on. The id is
// remembered by content hash (per API host), so the same bytes are never uploaded twice.
import { openAsBlob } from 'node:fs';
import { fsPromises } from '../lazy.js';
import path from 'node:path';
import type { MoonshotClient } from '../api/client.js';
import { fsPath } from '../inputs/file-name.js';
import type { Image } from '../inputs/image.js';
import type { Message, Part } from '../request/messages.js';
import { writeFileAtomic } from '../store/atomic.js';
import { stateDir } from '../store/paths.js';

type Uploads = Record<string, string>;

export async function uploadMedia(
  messages: readonly Message[],
  client: MoonshotClient,
  env: Record<string, string | undefined>,
  onUpload: (img: Image, id: string, reused: boolean) => void,
): Promise<Message[]> {
  const file = path.join(stateDir(env), 'uploads.json');
  const known: Uploads = JSON.parse(await fsPromises().readFile(file, 'utf8').catch(() => '{}')) as Uploads;
  let changed = false;
  const out: Message[] = [];
  for (const m of messages) {
    if (typeof m.content === 'string') {
      out.push(m);
      continue;
    }
    const content: Part[] = [];
    for (const p of m.content) {
      if (p.type !== 'media' || p.url) {
        content.push(p);
        continue;
      }
      const key = `${client.host} ${p.image.sha256}`;
      let id = known[key];
      onUpload(p.image, id ?? '', id !== undefined);
      if (!id) {
        id = await client.uploadFile(await blobOf(p.image), path.basename(p.image.path) || 'image', p.image.kind);
        known[key] = id;
        changed = true;
      }
      content.push({ ...p, url: `ms://${id}` });
    }
    out.push({ ...m, content });
  }
  if (changed) await writeFileAtomic(file, `${JSON.stringify(known, null, 1)}\n`, 0o600);
  return out;
}

async function blobOf(img: Image): Promise<Blob> {
  if (img.source.kind === 'memory') return new Blob([img.source.data], { type: img.mime });
  return openAsBlob(fsPath(img.source.file), { type: img.mime });
}
