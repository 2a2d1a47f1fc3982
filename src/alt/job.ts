// What every image of an alt run shares (options, settings, the terminal, the cache), what one
// caption is (an image and the prompt of its place in a page, used at one or more places), and how
// its request is planned and found in the cache.
import type { Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { describeMessages } from '../request/messages.js';
import type { KvError } from '../errors.js';
import type { Settings } from '../settings.js';
import { cacheKey, type AnswerCache, type CachedAnswer } from '../store/answer-cache.js';
import type { AltOptions, AltSettings } from './options.js';
import { altFromAnswer } from './prompt.js';
import type { ImageSource } from './source.js';

export interface AltJob {
  o: AltOptions;
  s: AltSettings;
  io: Io;
  term: Terminal;
  settings: Settings;
  cache: AnswerCache | undefined;
  /** Warnings said once per run (a cache that cannot be written). */
  warned: Set<string>;
}

/** One place a caption is written to: a task of a document's plan. */
interface CaptionUse {
  doc: number;
  task: number;
  /** `docs/a.md:12:3`, for messages. */
  place: string;
}

/** The image of a caption once read: to send, or why it cannot be. */
export type CaptionInput =
  | { kind: 'image'; image: Image }
  | { kind: 'failed'; error: KvError }
  /** Not read on purpose (a remote image with --no-remote): left as it is, not a failure. */
  | { kind: 'skipped'; why: string };

/**
 * One request: the same image with the same prompt (the same heading, text and language), however
 * many places of however many documents use it. `uses` are in document order, then page order.
 */
export interface Caption {
  /** How messages name the image: its path from the current folder, or its URL (credentials hidden). */
  name: string;
  source: ImageSource;
  /** The text part of the request (altPrompt). */
  prompt: string;
  uses: CaptionUse[];
  input: CaptionInput;
}

/** A caption whose image was read: one that may be sent. */
export type SendCaption = Caption & { input: { kind: 'image'; image: Image } };

export function isSendable(c: Caption): c is SendCaption {
  return c.input.kind === 'image';
}

/** The request of a caption to `model`: ONE user message with the image and the prompt (a system message first). */
export function planCaption(job: AltJob, c: SendCaption, model: string): Plan {
  const image = c.input.image;
  const plan = makePlan([image], describeMessages([image], c.prompt, job.o.system), { ...job.o, model }, job.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

/** The cache key of a caption under a plan: the image's bytes, the prompt with its page text, the model, the parameters. */
export function captionCacheKey(job: AltJob, c: SendCaption, plan: Plan): string {
  return cacheKey({ sha256: c.input.image.sha256, model: plan.model, system: job.o.system, prompt: c.prompt, params: plan.params });
}

/** A cached answer that still passes the check; anything else is a miss (and is sent again). */
export async function lookupCaption(job: AltJob, c: SendCaption, plan: Plan): Promise<CachedAnswer | undefined> {
  const hit = await job.cache?.get(captionCacheKey(job, c, plan));
  if (hit?.finish_reason !== 'stop') return undefined;
  return 'alt' in altFromAnswer(hit.text, job.s.maxChars) ? hit : undefined;
}
