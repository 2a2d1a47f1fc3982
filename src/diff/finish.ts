// The end of a diff run: the report's footer, the totals on stderr, the --fail-on verdict and the
// exit code (the first failure's in pair order, else 7 when --fail-on trips, else 0).
import { EXIT, KvError } from '../errors.js';
import { diffExitCode, failOnVerdict } from './fail-on.js';
import { markdownFooter } from './formats.js';
import type { DiffJob } from './job.js';
import type { DiffRecord } from './record.js';

const FIX: Record<string, string> = {
  changed: 'Review the changes above; once they are meant, update the baseline images (--fail-on never only reports).',
  unexpected: 'An --expect check said no: see "as expected: no" above, and what else changed.',
};

/** Exit 7 is thrown (the reporter prints it as the one error line); other codes are returned. */
export function finishRun(job: DiffJob, records: readonly DiffRecord[], summary: string): number {
  const { term, s } = job;
  if (s.format === 'markdown') term.out(markdownFooter(records));
  term.note(summary);
  const verdict = failOnVerdict(records, s.failOn);
  const code = diffExitCode(records, s.failOn);
  if (code === EXIT.check) throw new KvError(EXIT.check, verdict.message ?? 'check found differences.', FIX[s.failOn]);
  // A failure decides the exit code; the verdict is still worth a line.
  if (verdict.fail && verdict.message) term.warn(verdict.message);
  return code;
}
