// The bench's output: one markdown table (case, tool, median, spread, peak RSS, vs target), plus any
// extra sections a case adds, and the machine it ran on.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Stats } from './measure.js';

export interface Row {
  case: string;
  tool: string;
  median: string;
  spread: string;
  rss: string;
  target: string;
}

export interface CaseResult {
  rows: Row[];
  /** Markdown lines printed after the main table (sub-tables, notes). */
  extra?: string[];
}

export const ms = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const ratio = (x: number): string => `${x.toFixed(2)}x`;

export function spread(s: Stats, fmt: (x: number) => string = ms): string {
  return `${fmt(s.min)} – ${fmt(s.max)} (n=${s.n})`;
}

/** "1.12x node -e 0 (target ≤ 1.5x) OK" or "… MISSED by 0.3x". */
export function verdict(value: number, limit: number, what: string, fmt: (x: number) => string = ratio): string {
  const ok = value <= limit;
  return `${fmt(value)}${what ? ` ${what}` : ''} (target ≤ ${fmt(limit)}) ${ok ? 'OK' : `**MISSED** by ${fmt(value - limit)}`}`;
}

export const isMissed = (r: Row): boolean => r.target.includes('MISSED');

export function table(rows: readonly Row[]): string[] {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| case | tool | median | spread (min – max) | peak RSS | vs target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.case, r.tool, r.median, r.spread, r.rss, r.target].map(esc).join(' | ')} |`),
  ];
}

function distro(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? `${os.type()} ${os.release()}`;
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

export function machine(extra: readonly string[]): string[] {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores (${os.arch()})`,
    `- RAM: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${distro()} (kernel ${os.release()})`,
    `- Node: ${process.version}`,
    ...extra.map((e) => `- ${e}`),
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ];
}
