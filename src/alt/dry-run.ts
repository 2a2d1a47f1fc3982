// alt --dry-run: what would be captioned, image by image in document order, and what it would
// cost; nothing is sent, no key needed. Images are read (and downloaded) as a run would, for their
// size and the cache; one that cannot be read is said on stderr and gives the exit code.
import { hasPrice, type Estimate } from '../estimate/estimate.js';
import { formatInt } from '../format.js';
import { estimateLine } from '../output/estimate-line.js';
import type { AltJob, Caption } from './job.js';
import type { AltDoc } from './load.js';
import { reasonOf } from './records.js';
import type { AltSurvey } from './survey.js';

/**
 * Text: `doc:line:column: src<TAB>reason<TAB>fate` per image, then the estimate line. jsonl: one
 * `{"doc","line","column","src","image_sha256","reason","send","cached","estimate","error"}` per
 * image; `send` is true on the first place of a request only (the others share its alt text).
 */
export function printAltDryRun(job: AltJob, docs: readonly AltDoc[], captions: readonly Caption[], index: readonly number[][], survey: AltSurvey): void {
  const { term, s, settings } = job;
  docs.forEach((d, doc) => {
    if (!d.ok) return;
    d.plan.tasks.forEach((task, t) => {
      const i = index[doc]?.[t] as number;
      const c = captions[i] as Caption;
      const first = c.uses[0]?.doc === doc && c.uses[0]?.task === t;
      const estimate = first ? survey.estimates.get(i) : undefined;
      const cached = survey.hits.has(i);
      const img = task.image;
      if (s.format === 'jsonl') {
        const error = c.input.kind === 'failed' ? { code: c.input.error.exitCode, message: c.input.error.message } : null;
        const sha = c.input.kind === 'image' ? c.input.image.sha256 : null;
        const line = {
          doc: task.doc,
          line: img.line,
          column: img.column,
          src: img.src,
          image_sha256: sha,
          reason: reasonOf(task),
          send: estimate !== undefined,
          cached,
          estimate: estimate ?? null,
          error,
        };
        term.out(`${JSON.stringify(line)}\n`);
        return;
      }
      term.out(`${task.doc}:${img.line}:${img.column}: ${img.src}\t${reasonOf(task)}\t${fate(c, first, cached, estimate)}\n`);
    });
  });
  if (s.format === 'jsonl') return;
  const priced = hasPrice(settings.model, settings.currency);
  term.out(`${estimateLine(survey.estimate, { images: survey.toSend, model: settings.model, priced, perImage: { cached: survey.hits.size, skipped: 0 } })}\n`);
}

function fate(c: Caption, first: boolean, cached: boolean, estimate: Estimate | undefined): string {
  if (c.input.kind === 'failed') return 'cannot be read';
  if (c.input.kind === 'skipped') return `not captioned (${c.input.why})`;
  if (cached) return 'from the cache';
  if (!first) return `the alt text of ${c.uses[0]?.place}`;
  return `~${formatInt(estimate?.input_tokens ?? 0)} input tokens`;
}
