// The captions of a run: the documents' tasks grouped so that the same image with the same prompt
// (same heading, text and language) is one request wherever it is used, then each image read once
// (a file or a download; --no-remote leaves remote ones alone). An image that cannot be read is that
// caption's failure, never the run's.
import path from 'node:path';
import { downloadUrl } from '../api/download.js';
import { mapBounded } from '../concurrency.js';
import { InputError, KvError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import { showName } from '../inputs/file-name.js';
import { redactUrl } from '../secrets.js';
import { readSourceImage } from './image-read.js';
import type { AltJob, Caption, CaptionInput } from './job.js';
import type { AltDoc } from './load.js';
import { altPrompt } from './prompt.js';

/** Images read (or downloaded) at once. */
const READ_PARALLEL = 4;

export type CaptionSpec = Omit<Caption, 'input'>;

export function groupCaptions(job: AltJob, docs: readonly AltDoc[]): CaptionSpec[] {
  const { s, o, io } = job;
  const byKey = new Map<string, CaptionSpec>();
  docs.forEach((d, doc) => {
    if (!d.ok) return;
    d.plan.tasks.forEach((t, task) => {
      const prompt = altPrompt(t.image.context, { maxChars: s.maxChars, lang: t.lang, ...(o.prompt !== undefined ? { instruction: o.prompt } : {}) });
      // task.key names the file or URL with the page text; the language completes the prompt.
      const key = `${t.key}\n${t.lang}`;
      const use = { doc, task, place: `${d.doc.shownAs}:${t.image.line}:${t.image.column}` };
      const known = byKey.get(key);
      if (known) known.uses.push(use);
      else byKey.set(key, { name: imageName(t.source, t.image.src, io.cwd), source: t.source, prompt, uses: [use] });
    });
  });
  return [...byKey.values()];
}

function imageName(source: Caption['source'], src: string, cwd: string): string {
  if (source.kind === 'file') return showName(path.relative(cwd, source.file).split(path.sep).join('/'));
  if (source.kind === 'remote') return redactUrl(source.url);
  return src;
}

/** Every caption with its image read, or why it was not; each file or URL read once however many captions use it. */
export async function readCaptions(job: AltJob, specs: readonly CaptionSpec[]): Promise<Caption[]> {
  const { s, io } = job;
  const reads = new Map<string, Promise<Image>>();
  const download = (url: string) => downloadUrl(url, io.env, io.signal);
  const remote = specs.filter((c) => c.source.kind === 'remote').length;
  if (!s.remote && remote > 0) job.term.note(`${remote === 1 ? '1 remote image is left as it is' : `${remote} remote images are left as they are`} (--no-remote).`);
  const captions = await mapBounded(specs, READ_PARALLEL, async (spec): Promise<Caption> => {
    const { source } = spec;
    if (source.kind === 'unsupported') return { ...spec, input: failed(new InputError(`${spec.name}: ${source.reason}.`, 'Point the image at a file or an http(s) URL.')) };
    if (source.kind === 'remote' && !s.remote) return { ...spec, input: { kind: 'skipped', why: 'remote image, --no-remote' } };
    const where = source.kind === 'file' ? source.file : source.url;
    let read = reads.get(where);
    if (!read) {
      read = readSourceImage(source, spec.name, { download });
      reads.set(where, read);
    }
    try {
      return { ...spec, input: { kind: 'image', image: await read } };
    } catch (err) {
      if (io.signal.aborted || !(err instanceof KvError)) throw err;
      return { ...spec, input: failed(err) };
    }
  });
  for (const c of captions) {
    if (c.input.kind === 'failed') job.term.error(`${c.uses[0]?.place}: ${c.input.error.message}`, c.input.error.hint);
  }
  return captions;
}

const failed = (error: KvError): CaptionInput => ({ kind: 'failed', error });

/** For each document, the index of the caption of each of its tasks. */
export function captionIndex(docs: readonly AltDoc[], captions: readonly Pick<Caption, 'uses'>[]): number[][] {
  const index = docs.map((d) => new Array<number>(d.ok ? d.plan.tasks.length : 0).fill(-1));
  captions.forEach((c, i) => {
    for (const u of c.uses) (index[u.doc] as number[])[u.task] = i;
  });
  return index;
}

/** The exit code of the first failure in document and page order (a document not read, an image not read), else 0. */
export function firstFailure(docs: readonly AltDoc[], captions: readonly Caption[], index: readonly number[][]): number {
  for (const [d, doc] of docs.entries()) {
    if (!doc.ok) return doc.error.exitCode;
    for (const i of index[d] ?? []) {
      const input = captions[i]?.input;
      if (input?.kind === 'failed') return input.error.exitCode;
    }
  }
  return 0;
}
