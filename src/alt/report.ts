// What `kimi-vision alt` prints, as pure formatters: the --check lines, one JSONL record per image,
// and the Markdown report for a PR comment or $GITHUB_STEP_SUMMARY. The command fills in what it
// learnt (usage, cost, cache, errors); these only shape it.
import type { AltReason } from './judge.js';

export interface CheckFinding {
  doc: string;
  line: number;
  column: number;
  src: string;
  /** judgeAlt's finding: `missing alt text`, `generic alt "image"`, … */
  finding: string;
}

/** Control characters in names from outside would move a terminal's cursor: shown as escapes. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function byPlace(a: { doc: string; line: number; column: number }, b: { doc: string; line: number; column: number }): number {
  return a.doc < b.doc ? -1 : a.doc > b.doc ? 1 : a.line - b.line || a.column - b.column;
}

function checkLine(f: CheckFinding): string {
  return `${printable(f.doc)}:${f.line}:${f.column}: ${printable(f.src)}: ${f.finding}`;
}

/** Every finding as `path:line:column: <src>: <finding>`, sorted by path, line and column. */
export function checkLines(findings: readonly CheckFinding[]): string {
  return [...findings]
    .sort(byPlace)
    .map((f) => `${checkLine(f)}\n`)
    .join('');
}

/** Why an image is in the output: its verdict, or `all` for an image whose alt text was fine, taken by --all. */
export type RecordReason = AltReason | 'all';

export interface AltRecord {
  doc: string;
  line: number;
  column: number;
  src: string;
  image_sha256: string | null;
  old_alt: string | null;
  alt: string | null;
  reason: RecordReason;
  cached: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  cost: { amount: number; currency: string } | null;
  error: { code: number; type: string; message: string } | null;
}

/** The record with its fields in the documented order, whatever order the input had them in. */
export function altRecord(r: AltRecord): AltRecord {
  return {
    doc: r.doc,
    line: r.line,
    column: r.column,
    src: r.src,
    image_sha256: r.image_sha256,
    old_alt: r.old_alt,
    alt: r.alt,
    reason: r.reason,
    cached: r.cached,
    usage: r.usage,
    cost: r.cost,
    error: r.error,
  };
}

export function jsonlRecord(r: AltRecord): string {
  return `${JSON.stringify(altRecord(r))}\n`;
}

export interface ReportRow {
  doc: string;
  line: number;
  column: number;
  src: string;
  /** Where the image can be seen from the report (a relative or absolute URL), if anywhere. */
  link: string | undefined;
  reason: RecordReason;
  oldAlt: string | null;
  alt: string | null;
  error: string | null;
  /** Why the image was not captioned although nothing failed (a remote image with --no-remote). */
  skipped?: string | undefined;
}

/** Markdown-escapes text for a table cell: one line, no pipe, nothing read as markup or HTML. */
export function escapeCell(s: string): string {
  return s
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/[\\`*_[\]<>|~#]/g, '\\$&')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&');
}

/** A link destination that stays one destination: spaces, parentheses and angle brackets encoded. */
function destination(link: string): string {
  return link.replace(/[\s()<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function newCell(r: ReportRow): string {
  if (r.error !== null) return `**failed:** ${escapeCell(r.error)}`;
  if (r.skipped) return `_(not captioned: ${escapeCell(r.skipped)})_`;
  return altCell(r.alt);
}

function altCell(alt: string | null): string {
  if (alt === null) return '_(none)_';
  if (alt.trim() === '') return '_(empty)_';
  return escapeCell(alt);
}

/**
 * A section per document: each image's line, a link to it, why it was taken, the old alt text and
 * the new one (or why there is none). `title` heads the report; `summary` follows it. `proposed:
 * false` (--check, which writes nothing) leaves the new alt text's column out.
 */
export function markdownReport(rows: readonly ReportRow[], o: { title?: string; summary?: string; proposed?: boolean } = {}): string {
  const out: string[] = [`## ${escapeCell(o.title ?? 'Alt text')}`, ''];
  if (o.summary) out.push(escapeCell(o.summary), '');
  if (rows.length === 0) return `${[...out, 'Every image has alt text.', ''].join('\n')}`;
  const proposed = o.proposed !== false;
  const sorted = [...rows].sort(byPlace);
  for (let i = 0; i < sorted.length; ) {
    const doc = (sorted[i] as ReportRow).doc;
    const head = proposed
      ? ['| Line | Image | Why | Old alt text | New alt text |', '| --: | --- | --- | --- | --- |']
      : ['| Line | Image | Why | Alt text |', '| --: | --- | --- | --- |'];
    out.push(`### ${escapeCell(doc)}`, '', ...head);
    for (; i < sorted.length && (sorted[i] as ReportRow).doc === doc; i++) {
      const r = sorted[i] as ReportRow;
      const image = r.link === undefined ? escapeCell(r.src) : `[${escapeCell(r.src)}](${destination(r.link)})`;
      const row = `| ${r.line}:${r.column} | ${image} | ${r.reason} | ${altCell(r.oldAlt)} |`;
      out.push(proposed ? `${row} ${newCell(r)} |` : row);
    }
    out.push('');
  }
  return out.join('\n');
}
