// --fail-on changed|unexpected|never: whether a finished diff run exits 7 ("check found
// differences"), decided from its records alone. Pure.
//   changed     any pair changed, or a file was added or removed (a new or missing screenshot is a
//               difference a visual check must not pass quietly);
//   unexpected  any answer said as_expected: false (pairs without an answer, or without --expect,
//               say null and never trip it);
//   never       (the default) the check only reports.
// A failed pair wins over the verdict: the run exits with the first failure's code in pair order,
// as --each does, since a check that did not finish has not found its answer.
import { EXIT, UsageError } from '../errors.js';
import type { DiffRecord } from './record.js';

const FAIL_ON = ['changed', 'unexpected', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export function parseFailOn(value: string | undefined): FailOn {
  if (value === undefined) return 'never';
  const found = FAIL_ON.find((f) => f === value);
  if (!found)
    throw new UsageError(
      `--fail-on ${value}: not one of ${FAIL_ON.join(', ')}.`,
      '--fail-on changed fails on any difference; --fail-on unexpected only when an --expect check says no.',
    );
  return found;
}

export interface Verdict {
  fail: boolean;
  /** What tripped it, for stderr ("check found differences: …"); undefined when it passes. */
  message: string | undefined;
}

export function failOnVerdict(records: readonly DiffRecord[], mode: FailOn): Verdict {
  if (mode === 'never') return { fail: false, message: undefined };
  const hits = records.filter((r) => (mode === 'changed' ? r.status === 'changed' || r.status === 'added' || r.status === 'removed' : r.as_expected === false));
  if (hits.length === 0) return { fail: false, message: undefined };
  const names =
    hits
      .slice(0, 3)
      .map((r) => r.after ?? r.before)
      .join(', ') + (hits.length > 3 ? `, … (${hits.length - 3} more)` : '');
  const what = mode === 'changed' ? `${hits.length} of ${records.length} ${plural(records.length)} differ` : `${hits.length} ${plural(hits.length)} not as expected`;
  return { fail: true, message: `check found differences (--fail-on ${mode}): ${what}: ${names}` };
}

/** The exit code of a finished run: the first failure's, else 7 when --fail-on trips, else 0. */
export function diffExitCode(records: readonly DiffRecord[], mode: FailOn): number {
  const failed = records.find((r) => r.error !== null);
  if (failed?.error) return failed.error.code;
  return failOnVerdict(records, mode).fail ? EXIT.check : EXIT.ok;
}

const plural = (n: number) => (n === 1 ? 'pair' : 'pairs');
