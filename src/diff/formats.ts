// How diff results read on stdout: text sections, JSONL lines, or a Markdown report for a PR
// comment or $GITHUB_STEP_SUMMARY (before/after side by side, unchanged pairs folded into a count).
// Sections come one record at a time, in pair order, so output can stream; the footer needs all.
// Pure. Terminal neutralising of the model's text is the presenter's job, as for --each.
import { escapeMarkdown, mediaLink } from '../results/formats.js';
import type { Image } from '../inputs/image.js';
import type { PairEntry } from './pairs.js';
import { percentWords } from './prompt.js';
import type { DiffRecord, DiffStatus } from './record.js';

export type DiffFormat = 'text' | 'jsonl' | 'markdown';

/** How a record's status reads after its header: "changed, 3.68% of pixels", "same", "error (…)". */
export function statusWords(r: DiffRecord): string {
  const share = r.pixels_changed === null ? '' : percentWords(r.pixels_changed);
  switch (r.status) {
    case 'changed':
      return share ? `changed, ${share} of pixels` : 'changed';
    case 'same':
      return r.pixels_changed ? `same (${share} of pixels differ, within --threshold)` : 'same';
    case 'error':
      return `error (${r.error?.type ?? 'unknown'})`;
    default:
      return r.status;
  }
}

const side = (p: string | null) => p ?? '(none)';
const oneLine = (s: string) => s.replace(/\s*\r?\n\s*/g, ' ').trim();

/**
 * Text: `==> before -> after <== status`, then the summary, each change, and whether it was as
 * expected; a blank line between sections. A failure's message goes to stderr, not here.
 */
export function textSection(r: DiffRecord, first: boolean): string {
  const lines = [`==> ${side(r.before)} -> ${side(r.after)} <== ${statusWords(r)}`];
  if (r.summary.trim()) lines.push(oneLine(r.summary));
  for (const c of r.changes) lines.push(`  - ${oneLine(c.where)}: ${oneLine(c.what)} [${c.kind}]`);
  if (r.as_expected !== null) lines.push(`as expected: ${r.as_expected ? 'yes' : 'no'}`);
  return `${first ? '' : '\n'}${lines.join('\n')}\n`;
}

export function jsonlLine(r: DiffRecord): string {
  return `${JSON.stringify(r)}\n`;
}

export interface PairLinks {
  before: string | undefined;
  after: string | undefined;
}

/** The image links of a pair, relative to `from` (the current folder) and percent-encoded. */
export function pairLinks(e: PairEntry, from: string): PairLinks {
  const link = (img: Image | undefined) => (img ? mediaLink(img, from) : undefined);
  return { before: link(e.status === 'added' ? undefined : e.before), after: link(e.status === 'removed' ? undefined : e.after) };
}

export function markdownHeader(): string {
  return '## Visual changes\n\n';
}

/** One pair of the report; a `same` pair prints nothing here (the footer counts it). */
export function markdownSection(r: DiffRecord, links: PairLinks): string {
  if (r.status === 'same') return '';
  const title = r.after ?? r.before ?? '';
  const cell = (which: string, link: string | undefined, p: string | null) => (link ? `![${which}](${link})` : p ? escapeMarkdown(p) : '_(none)_');
  const lines = [
    `### ${escapeMarkdown(title)} · ${escapeMarkdown(statusWords(r))}`,
    '',
    '| Before | After |',
    '|---|---|',
    `| ${cell('before', links.before, r.before)} | ${cell('after', links.after, r.after)} |`,
    '',
  ];
  if (r.error) {
    lines.push(`> **Failed** (${r.error.type}, exit ${r.error.code}): ${oneLine(r.error.message)}`, '');
  } else {
    if (r.summary.trim()) lines.push(markdownText(r.summary), '');
    if (r.changes.length > 0) {
      lines.push(...r.changes.map((c) => `- **${c.kind}** · ${markdownText(c.where)}: ${markdownText(c.what)}`), '');
    }
    if (r.as_expected !== null) lines.push(r.as_expected ? '**As expected:** yes ✅' : '**As expected:** no ❌', '');
  }
  return `${lines.join('\n')}\n`;
}

/** Unchanged pairs named in the folded list at most: a PR comment holds 65,536 characters. */
const LISTED_SAME = 50;

/** The end of the report: the unchanged pairs folded into a count, then the run in one line. */
export function markdownFooter(records: readonly DiffRecord[]): string {
  const same = records.filter((r) => r.status === 'same');
  const parts: string[] = [];
  if (same.length > 0) {
    const names = same.slice(0, LISTED_SAME).map((r) => `- ${escapeMarkdown(r.after ?? r.before ?? '')}`);
    if (same.length > LISTED_SAME) names.push(`- … and ${same.length - LISTED_SAME} more`);
    const list = names.join('\n');
    parts.push(`<details><summary>${same.length} unchanged ${same.length === 1 ? 'pair' : 'pairs'}</summary>\n\n${list}\n\n</details>\n`);
  }
  parts.push(`---\n\n${escapeMarkdown(countsLine(records))}\n`);
  return parts.join('\n');
}

const ORDER: readonly DiffStatus[] = ['changed', 'added', 'removed', 'same', 'error'];
const WORD: Record<DiffStatus, string> = { changed: 'changed', added: 'added', removed: 'removed', same: 'same', error: 'failed' };

/** "5 pairs: 2 changed, 1 added, 1 same, 1 failed; 1 not as expected" (for the report and stderr). */
export function countsLine(records: readonly DiffRecord[]): string {
  const n = records.length;
  const counts = ORDER.map((s) => [s, records.filter((r) => r.status === s).length] as const)
    .filter(([, c]) => c > 0)
    .map(([s, c]) => `${c} ${WORD[s]}`);
  const unexpected = records.filter((r) => r.as_expected === false).length;
  return `${n} ${n === 1 ? 'pair' : 'pairs'}${counts.length ? `: ${counts.join(', ')}` : ''}${unexpected ? `; ${unexpected} not as expected` : ''}`;
}

/** The model's words as one Markdown paragraph: one line, no HTML. */
function markdownText(s: string): string {
  return oneLine(s).replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
