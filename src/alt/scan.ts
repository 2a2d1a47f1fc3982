// The entry of the scan: a document's text and kind -> its images and notes, in document order.
import type { DocKind, ScanResult } from './doc-image.js';
import { scanHtml } from './html-scan.js';
import { scanMarkdown } from './markdown-scan.js';

export type { DocImage, DocKind } from './doc-image.js';

export function scanDocument(text: string, kind: DocKind): ScanResult {
  return kind === 'html' ? scanHtml(text) : scanMarkdown(text, kind === 'mdx');
}
