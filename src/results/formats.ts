// How --each results read on stdout: text sections, JSONL lines or a Markdown document, always in
// input order (InOrder holds a result back until every earlier one is out). Pure apart from InOrder's callback.
import path from 'node:path';
import { percentEncodeName } from '../inputs/file-name.js';
import type { ImageRecord } from './record.js';

export type EachFormat = 'text' | 'jsonl' | 'markdown';

/**
 * Text: a header line with the path, then the description; a blank line between sections (as
 * `head` prints several files). Failures print nothing here: stderr has them.
 */
export function textSection(r: ImageRecord, first: boolean): string {
  if (r.error) return '';
  return `${first ? '' : '\n'}==> ${r.path} <==\n${r.text.trim()}\n`;
}

export function jsonlLine(r: ImageRecord): string {
  return `${JSON.stringify(r)}\n`;
}

/**
 * Markdown: the path as a heading, the image (link relative to where the document is read from),
 * the description; a failure as a blockquote with its type, exit code and message.
 */
export function markdownSection(r: ImageRecord, link: string | undefined): string {
  const title = r.path === '-' ? 'stdin' : r.path;
  const lines = [`## ${escapeMarkdown(title)}`, ''];
  if (link !== undefined) lines.push(`![${escapeMarkdown(path.basename(title))}](${link})`, '');
  if (r.error) {
    lines.push(...blockquote(`**Failed** (${r.error.type}, exit ${r.error.code}): ${r.error.message}`), '');
  } else {
    lines.push(r.text.trim() || '_(empty answer)_', '');
  }
  return `${lines.join('\n')}\n`;
}

/** The last line of a Markdown document: the run in one sentence. */
export function markdownFooter(summary: string): string {
  return `---\n\n${escapeMarkdown(summary)}\n`;
}

function blockquote(text: string): string[] {
  return text.split('\n').map((l) => (l ? `> ${l}` : '>'));
}

/** Backslash-escapes what Markdown would read as formatting or HTML in a heading or link text. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>#|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/**
 * A relative URL from directory `from` to `file`: forward slashes, each segment percent-encoded
 * (spaces, parentheses, #, ? and non-ASCII included) so it stays one link destination.
 */
export function relativeLink(from: string, file: string): string {
  const rel = path.relative(from, file).split(path.sep).join('/');
  return rel
    .split('/')
    .map((seg) => (seg === '..' || seg === '.' ? seg : percentEncodeName(seg).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)))
    .join('/');
}

/** The link of an image in a document read from `from`: relative for files, the URL for downloads, none for stdin. */
export function mediaLink(img: { path: string; source: { kind: string; file?: string }; original?: { file?: string } }, from: string): string | undefined {
  if (img.source.kind === 'file' && img.source.file) return relativeLink(from, img.source.file);
  if (img.original?.file) return relativeLink(from, img.original.file); // resized: link the original
  if (/^https?:\/\//i.test(img.path)) return img.path.replace(/[ ()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return undefined;
}

/** Emits items in index order: put(i) holds item i until items 0..i-1 are out. */
export class InOrder<T> {
  private readonly items: (T | undefined)[];
  private next = 0;

  constructor(
    count: number,
    private readonly emit: (item: T, index: number) => void,
  ) {
    this.items = new Array<T | undefined>(count);
  }

  put(index: number, item: T): void {
    this.items[index] = item;
    while (this.next < this.items.length && this.items[this.next] !== undefined) {
      this.emit(this.items[this.next] as T, this.next);
      this.items[this.next] = undefined;
      this.next += 1;
    }
  }

  /** At the end of a stopped run: everything still held, in order, past the gaps of unfinished items. */
  drain(): void {
    for (; this.next < this.items.length; this.next += 1) {
      const item = this.items[this.next];
      if (item !== undefined) this.emit(item, this.next);
      this.items[this.next] = undefined;
    }
  }
}
