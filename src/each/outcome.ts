// What becomes of one image's answer in a --each run: checked (content filter, --max-chars, JSON),
// cached, written as a sidecar, and turned into its record; and how a record reads on stdout.
import { spentOn, type Spent } from '../results/totals.js';
import type { Completion } from '../api/completion.js';
import { EXIT, InputError, type KvError } from '../errors.js';
import { isBadInput, type Input } from '../inputs/bad-input.js';
import { imageFile, type Image } from '../inputs/image.js';
import type { Currency } from '../models.js';
import type { Plan } from '../plan/plan.js';
import type { ResponsePlan } from '../request/response.js';
import { checkAnswer } from '../results/check.js';
import { jsonlLine, markdownSection, mediaLink, textSection } from '../results/formats.js';
import { failedAnswerRecord, failureRecord, ImageFailure, successRecord, type ImageRecord } from '../results/record.js';
import { sidecarFailure, writeSidecar } from '../results/sidecar.js';
import { keepAnswer } from '../pace/settle.js';
import { cacheKeyOf, type Job } from './job.js';

export type Answer = Pick<Completion, 'model' | 'text' | 'finishReason' | 'usage'>;

export type { Spent };

export interface Outcome {
  record: ImageRecord;
  spent: Spent | undefined;
  hint?: string | undefined;
}

export async function recordAnswer(job: Job, img: Image, plan: Plan, c: Answer, at: { ms: number; cached: boolean; response: ResponsePlan }): Promise<Outcome> {
  const { s, settings, term } = job;
  const { currency } = settings;
  const prefix = at.response.prefill && !at.cached ? String(at.response.prefill.content) : '';
  const answer = { ...c, text: prefix + c.text };
  const spent = at.cached ? undefined : spentOn(answer, plan.model, currency);
  const record = successRecord(img, answer, { model: plan.model, currency, ms: at.ms, cached: at.cached });
  // A failed check keeps the paid answer in the record (its text, usage and cost: what `spent` counts).
  const problem = await checkAnswer(answer, s.maxChars, at.response);
  if (problem) return { record: failedAnswerRecord(record, problem), spent, hint: problem.hint };
  // An empty answer is no answer to keep (a server that sent [DONE] and nothing else): a rerun asks again.
  if (job.cache && !at.cached && record.text.trim()) {
    const entry = { model: record.model, text: record.text, finish_reason: record.finish_reason ?? 'stop', usage: record.usage };
    await keepAnswer(job, cacheKeyOf(job, img, plan), entry);
  }
  const file = imageFile(img); // a resized image's sidecar goes next to its original
  if (s.write && file) {
    try {
      await writeSidecar(record, file, s.write);
    } catch (err) {
      const e = sidecarFailure(err, img.path, s.write);
      return { record: failedAnswerRecord(record, e), spent, hint: e.hint };
    }
  }
  if (!at.cached && !record.text.trim()) term.warn(`${img.path}: the model returned an empty answer.`);
  if (record.finish_reason === 'length') term.warn(`${img.path}: the answer was cut off at the output token limit (finish_reason length); raise --max-tokens to get more.`);
  return { record, spent };
}

/** A record as stdout shows it in the run's format (text: nothing for a failure; stderr has it). */
export function formatSection(job: Job, r: ImageRecord, img: Input, first: boolean): string {
  if (job.s.format === 'jsonl') return jsonlLine(r);
  if (job.s.format === 'markdown') return markdownSection(r, isBadInput(img) ? undefined : mediaLink(img, job.io.cwd));
  return textSection(r, first);
}

/**
 * The record of an input that cannot be described (missing, unreadable, not a supported image, or
 * gone since the run was planned): exit code 3, type `bad_input`. The message loses its leading
 * "path: ", which the record (and the stderr line made from it) already says.
 */
export function inputFailureRecord(x: Input, err: KvError, o: { model: string; currency: Currency; ms: number }): ImageRecord {
  const message = err.message.startsWith(`${x.path}: `) ? err.message.slice(x.path.length + 2) : err.message;
  const failure = new ImageFailure(EXIT.input, 'bad_input', message, err.hint);
  return failureRecord(isBadInput(x) ? { path: x.path, sha256: '', mime: '' } : x, failure, o);
}

/** Whether a failure is the input's own (unreadable or gone since planning), not the API's or the network's. */
export function isInputFailure(err: unknown): err is KvError {
  return err instanceof InputError;
}
