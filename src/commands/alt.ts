// `kimi-vision alt <documents...>`: alt text for the images of Markdown, MDX and HTML documents.
// The steps: the documents (found, read, planned), then --check's findings, or: the captions (the
// same image in the same context once) with their images read, the survey (estimate and cache), the
// dry run or the cost check, and the run (src/alt/run.ts) that puts out the patch, the records, the
// report, or the documents themselves (--write).
import path from 'node:path';
import { readCaptions, captionIndex, firstFailure, groupCaptions } from '../alt/captions.js';
import { runCheck } from '../alt/check.js';
import { printAltDryRun } from '../alt/dry-run.js';
import type { AltJob } from '../alt/job.js';
import { loadDocuments, scanLine, type AltDoc } from '../alt/load.js';
import { altSettings, type AltOptions } from '../alt/options.js';
import { AltRun } from '../alt/run.js';
import { surveyCaptions, type AltSurvey } from '../alt/survey.js';
import { commandSettings } from '../config.js';
import { MoneyError, UsageError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import { withPromptFile } from '../inputs/prompt-file.js';
import type { Io } from '../io.js';
import { estimateLine } from '../output/estimate-line.js';
import { Terminal } from '../output/terminal.js';
import { apiKey } from '../settings.js';
import { AnswerCache, cacheDir } from '../store/answer-cache.js';

export type { AltOptions };

export async function altCommand(inputs: string[], options: AltOptions, io: Io): Promise<number> {
  const o = await withPromptFile(options, io.cwd);
  const term = await Terminal.open(io, o.quiet);
  const { config, settings } = commandSettings(o, io.env, (line) => term.warn(line));
  const s = altSettings(o, io.env, io.cwd);
  const job: AltJob = { o, s, io, term, settings, cache: s.cache ? new AnswerCache(cacheDir(io.env)) : undefined, warned: new Set() };
  const docs = await loadDocuments(inputs, job);
  term.note(scanLine(docs, s.all && s.mode !== 'check'));
  if (s.mode === 'check') return runCheck(job, docs);
  if (s.mode === 'diff' && s.format === 'default') refuseOutside(docs);

  const captions = await readCaptions(job, groupCaptions(job, docs));
  const index = captionIndex(docs, captions);
  const survey = await surveyCaptions(job, captions);
  if (s.mode === 'dry-run') {
    printAltDryRun(job, docs, captions, index, survey);
    return firstFailure(docs, captions, index);
  }
  const key = survey.toSend > 0 ? apiKey(io.env, config) : '';
  announce(job, survey);
  return new AltRun(job, docs, captions, index, survey.hits, key).run();
}

/**
 * A patch names its files from the current folder with a/ and b/; `a/../x.md` is refused by git
 * apply and patch alike, so a document outside this folder cannot be in one.
 */
function refuseOutside(docs: readonly AltDoc[]): void {
  const outside = docs.filter((d) => d.doc.shownAs.startsWith('../') || path.isAbsolute(d.doc.shownAs));
  if (outside.length === 0) return;
  const names =
    outside
      .slice(0, 3)
      .map((d) => d.doc.shownAs)
      .join(', ') + (outside.length > 3 ? `, … (${outside.length - 3} more)` : '');
  throw new UsageError(
    `${names}: outside the current folder, so a patch (a/… b/… paths) cannot name ${outside.length === 1 ? 'it' : 'them'}.`,
    'Run alt from a folder that holds every document (cd ..), or use --write, --format jsonl or --format markdown.',
  );
}

/** The estimate line and the --max-cost check: before anything is sent. */
function announce(job: AltJob, survey: AltSurvey): void {
  const { term, o, settings } = job;
  const priced = hasPrice(settings.model, settings.currency);
  term.note(estimateLine(survey.estimate, { images: survey.toSend, model: settings.model, priced, perImage: { cached: survey.hits.size, skipped: 0 } }));
  if (o.maxCost !== undefined && survey.estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(survey.estimate.cost)} of ${survey.toSend} images is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, give fewer documents, or pick a cheaper model.',
    );
  }
}
