// How numbers, money and durations read on stderr. Pure.
import type { Cost } from './models.js';

const SYMBOL = { CNY: '¥', USD: '$' } as const;

export function formatMoney(c: Cost): string {
  const digits = c.amount === 0 ? 2 : c.amount < 0.01 ? 4 : c.amount < 1 ? 3 : 2;
  return `${SYMBOL[c.currency]}${c.amount.toFixed(digits)}`;
}

/** 1234567 -> "1,234,567" (by hand: Intl's first call costs ~20 ms of start-up). */
export function formatInt(n: number): string {
  const [int, frac] = String(Math.abs(n)).split('.');
  const grouped = (int ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;
}
