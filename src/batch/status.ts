// The batch object of GET /v1/batches/{id}, read defensively, and how its status reads. Pure.
import { NetworkError } from '../errors.js';
import { formatInt } from '../format.js';

export interface BatchInfo {
  id: string;
  status: string;
  counts: { total: number; completed: number; failed: number };
  outputFileId: string | undefined;
  errorFileId: string | undefined;
  /** Why a batch failed validation, when it says. */
  errors: string[];
  createdAt: number | undefined;
  completedAt: number | undefined;
}

/** Statuses after which nothing changes any more. */
export const FINISHED = new Set(['completed', 'failed', 'expired', 'cancelled']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const id = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function readBatch(v: unknown, host: string): BatchInfo {
  if (!isObj(v) || typeof v.id !== 'string' || typeof v.status !== 'string') {
    throw new NetworkError('bad_response', `${host} answered without a batch object (id and status).`, 'Check --base-url: it should end in /v1 of a Moonshot-compatible API.');
  }
  const counts = isObj(v.request_counts) ? v.request_counts : {};
  const errors = isObj(v.errors) && Array.isArray(v.errors.data) ? v.errors.data : [];
  return {
    id: v.id,
    status: v.status,
    counts: { total: num(counts.total), completed: num(counts.completed), failed: num(counts.failed) },
    outputFileId: id(v.output_file_id),
    errorFileId: id(v.error_file_id),
    errors: errors
      .map((e) => (isObj(e) ? [e.line !== undefined ? `line ${String(e.line)}` : '', typeof e.message === 'string' ? e.message : ''].filter(Boolean).join(': ') : String(e)))
      .filter(Boolean),
    createdAt: typeof v.created_at === 'number' ? v.created_at : undefined,
    completedAt: typeof v.completed_at === 'number' ? v.completed_at : undefined,
  };
}

/** "in_progress: 12 of 40 done, 1 failed" */
export function progressLine(b: BatchInfo): string {
  const { total, completed, failed } = b.counts;
  return `${b.status}: ${formatInt(completed + failed)} of ${formatInt(total)} done, ${formatInt(failed)} failed`;
}

/** What `batch status` prints: the id, status and counts, then the files and times it has. */
export function batchStatusText(b: BatchInfo): string {
  const lines = [`${b.id}\t${progressLine(b)}`];
  const when = (s: number) => new Date(s * 1000).toISOString();
  if (b.createdAt !== undefined) lines.push(`  created ${when(b.createdAt)}`);
  if (b.completedAt !== undefined) lines.push(`  completed ${when(b.completedAt)}`);
  if (b.outputFileId) lines.push(`  output file ${b.outputFileId}`);
  if (b.errorFileId) lines.push(`  error file ${b.errorFileId}`);
  for (const e of b.errors) lines.push(`  error: ${e}`);
  return `${lines.join('\n')}\n`;
}

/** --wait: the next pause between polls, growing by half each time up to `maxMs` (never below the first). */
export function nextPollDelay(previousMs: number, maxMs: number): number {
  return Math.max(previousMs, Math.min(maxMs, Math.round(previousMs * 1.5)));
}

/** Wall time of the batches, from the first created to the last completed, when the API says. */
export function batchElapsed(batches: BatchInfo[]): number | undefined {
  const created = batches.map((b) => b.createdAt);
  const completed = batches.map((b) => b.completedAt);
  if (created.some((x) => x === undefined) || completed.some((x) => x === undefined)) return undefined;
  return (Math.max(...(completed as number[])) - Math.min(...(created as number[]))) * 1000;
}
