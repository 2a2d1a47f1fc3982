// What scanning a document yields: every image with where it is, what it says, how to change its
// alt text, and the text around it. Values only; scan.ts makes them.

// The kinds are named where documents are found (inputs/ sits below alt/ in the layers).
import type { DocKind } from '../inputs/documents.js';

export type { DocKind };

/** How the image is written: `![a](s)`, `![a][r]`, `![r][]`, `![r]`, or an `<img>` tag. */
type ImageSyntax = 'inline' | 'reference' | 'collapsed' | 'shortcut' | 'html';

/**
 * Where the alt text is, or where it goes, as UTF-16 offsets into the document string: the range
 * [start, end) is replaced by `before + escaped alt + after`.
 * - markdown: the text between `![` and `]`; for a collapsed or shortcut reference the alt is also
 *   the label, so `after` keeps the reference working (`![new][old-label]`). `inTable`: `|` must be
 *   escaped too; `mdx`: `{` `}` `<` start expressions and JSX there.
 * - html: the attribute value with its quotes (before/after `"`), or an empty range after a bare
 *   `alt` (before `="`), or after the last attribute when there is no alt (before ` alt="`).
 * - jsx: an MDX `alt={"…"}` literal: the braces and what is between them, written `{"…"}` again.
 */
export type AltTarget =
  | { syntax: 'markdown'; start: number; end: number; after: string; inTable: boolean; mdx: boolean }
  | { syntax: 'html'; start: number; end: number; before: string; after: string }
  | { syntax: 'jsx'; start: number; end: number };

export interface ImageContext {
  /** The nearest heading above the image, as plain text ('' when there is none). */
  heading: string;
  /** The paragraph, list item or table cell the image is in, or the nearest one next to it. */
  text: string;
}

export interface DocImage {
  /** 1-based line and column of the image's first character (`!` or `<`); columns count characters as shown. */
  line: number;
  column: number;
  /** UTF-16 offset of the image's first character. */
  offset: number;
  /** The source as written (angle brackets of `<a b.png>` removed); from the definition for references. */
  src: string;
  /** The source as a renderer reads it: backslash escapes and character references decoded. */
  url: string;
  /** The alt text as plain text; undefined when there is none at all, '' when empty. */
  alt: string | undefined;
  title: string | undefined;
  syntax: ImageSyntax;
  /** The image is the text of a link: `[![](a.png)](url)`. */
  inLink: boolean;
  /** For reference images: the label as written and the line of its definition. */
  ref: { label: string; line: number } | undefined;
  target: AltTarget;
  context: ImageContext;
}

/** Something skipped on purpose, e.g. an MDX `<img src={expr}>` whose source is not a literal. */
export interface ScanNote {
  line: number;
  column: number;
  message: string;
}

export interface ScanResult {
  images: DocImage[];
  notes: ScanNote[];
}
