// --upload: each image goes to /v1/files once and is sent as `ms://<id>` from then on. The id is
// remembered by content hash (per API host) in the uploads index of the state folder, so the same
// bytes are never uploaded twice. The index is read checked (wrong shape: damaged, exit 2) and
// updated under its lock, merging this run's new ids into what is there then: two runs uploading
// at once both keep theirs.
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import type { MoonshotClient } from '../api/client.js';
import { fsPath } from '../inputs/file-name.js';
import type { Image } from '../inputs/image.js';
import type { Message, Part } from '../request/messages.js';
import { storePaths } from '../store/paths.js';
import { record, string } from '../store/shape.js';
import { readStateJson } from '../store/state-file.js';
import { updateFile } from '../store/update.js';

type Uploads = Record<string, string>;
const uploadsShape = record(string);

export async function uploadMedia(
  messages: readonly Message[],
  client: MoonshotClient,
  env: Record<string, string | undefined>,
  onUpload: (img: Image, id: string, reused: boolean) => void,
): Promise<Message[]> {
  const file = storePaths(env).uploadsFile;
  const known: Uploads = readUploads(file) ?? {};
  const added: Uploads = {};
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
      let id = known[key] ?? added[key];
      onUpload(p.image, id ?? '', id !== undefined);
      if (!id) {
        id = await client.uploadFile(await blobOf(p.image), path.basename(p.image.path) || 'image', p.image.kind);
        added[key] = id;
      }
      content.push({ ...p, url: `ms://${id}` });
    }
    out.push({ ...m, content });
  }
  if (Object.keys(added).length > 0) await remember(file, added);
  return out;
}

const hint = (file: string) => `Remove it (rm ${file}): images are then uploaded again once.`;

function readUploads(file: string): Uploads | undefined {
  return readStateJson(file, uploadsShape, { hint: hint(file) })?.value;
}

/** Adds the new ids to the index as it is now (another run may have added its own meanwhile). */
async function remember(file: string, added: Uploads): Promise<void> {
  await updateFile(
    file,
    (current) => {
      // (read again, checked, under the lock: `current` is the same file's text)
      const now = current === undefined ? {} : (readUploads(file) ?? {});
      return `${JSON.stringify({ ...now, ...added }, null, 1)}\n`;
    },
    { mode: 0o600, durable: true, hint: hint(file), what: `the uploads index ${file}` },
  );
}

async function blobOf(img: Image): Promise<Blob> {
  if (img.source.kind === 'memory') return new Blob([img.source.data], { type: img.mime });
  return openAsBlob(fsPath(img.source.file), { type: img.mime });
}
