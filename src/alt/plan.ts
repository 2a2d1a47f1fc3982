// One document -> the images `kimi-vision alt` works on: each with why it is taken, where its file
// or URL is, the language to write in, and a key shared by the images that get one caption (the same
// image in the same context). Pure: the document's text comes in, nothing is read here.
import path from 'node:path';
import type { DocKind } from '../inputs/documents.js';
import type { DocImage, ScanNote } from './doc-image.js';
import { judgeAlt, type AltVerdict } from './judge.js';
import { detectLanguage } from './lang.js';
import type { CheckFinding } from './report.js';
import { scanDocument } from './scan.js';
import { resolveImageSource, type ImageSource } from './source.js';

export interface AltTask {
  /** The document as shown (relative to the current folder). */
  doc: string;
  image: DocImage;
  /** Why the image is taken; undefined when its alt text is fine and it is taken because of --all. */
  verdict: AltVerdict | undefined;
  source: ImageSource;
  /** BCP 47 code of the language to write the alt text in. */
  lang: string;
  /** Tasks with the same key get one caption: the same file or URL with the same heading and text. */
  key: string;
}

export interface DocumentPlan {
  doc: string;
  /** Every image found, taken or not. */
  images: DocImage[];
  tasks: AltTask[];
  notes: ScanNote[];
}

export interface PlanOptions {
  /** The folder a root-relative `/img/x.png` is under (absolute). */
  root: string;
  /** --all: every image, not only those whose alt text is missing (decorative alt="" stays). */
  all?: boolean;
  /** --lang: this language for every image instead of the one of its surrounding text. */
  lang?: string;
}

/** Fewer letters than this around an image say too little of the language: the document's is used. */
const FEW_LETTERS = 40;

export function planDocument(doc: { shownAs: string; file: string; kind: DocKind; text: string }, o: PlanOptions): DocumentPlan {
  const { images, notes } = scanDocument(doc.text, doc.kind);
  const base = { docDir: path.dirname(doc.file), root: o.root };
  let docLang: string | undefined;
  const languageOf = (img: DocImage): string => {
    if (o.lang) return o.lang;
    const near = `${img.context.heading} ${img.context.text}`;
    if ((near.match(/\p{L}/gu) ?? []).length >= FEW_LETTERS) return detectLanguage(near);
    docLang ??= detectLanguage(images.map((i) => `${i.context.heading} ${i.context.text}`).join(' '));
    return docLang;
  };
  const tasks: AltTask[] = [];
  for (const image of images) {
    const verdict = judgeAlt(image);
    const decorative = image.syntax === 'html' && image.alt === '';
    if (!verdict && (!o.all || decorative)) continue;
    const source = resolveImageSource(image.url, base);
    const where = source.kind === 'file' ? source.file : source.kind === 'remote' ? source.url : `?${image.src}`;
    tasks.push({ doc: doc.shownAs, image, verdict, source, lang: languageOf(image), key: [where, image.context.heading, image.context.text].join('\n') });
  }
  return { doc: doc.shownAs, images, tasks, notes };
}

/** The --check findings of a plan: the images whose alt text is missing (not those --all adds). */
export function checkFindings(plan: DocumentPlan): CheckFinding[] {
  return plan.tasks.flatMap((t) => (t.verdict ? [{ doc: t.doc, line: t.image.line, column: t.image.column, src: t.image.src, finding: t.verdict.finding }] : []));
}
