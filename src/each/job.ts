// What every image of a --each run shares (options, settings, the prompt, the response fields, the
// cache), and how one image's request is planned and looked up in the cache.
import type { Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { describeMessages } from '../request/messages.js';
import type { RequestOptions } from '../request/options.js';
import type { ResponsePlan } from '../request/response.js';
import type { Settings } from '../settings.js';
import { cacheKey, type AnswerCache, type CachedAnswer } from '../store/answer-cache.js';
import type { EachFlags, EachSettings } from './options.js';

export interface EachOptions extends RequestOptions, EachFlags {
  format?: string;
}

export interface Job {
  o: EachOptions;
  s: EachSettings;
  io: Io;
  term: Terminal;
  settings: Settings;
  /** The prompt every image gets (with --max-chars and the schema instruction appended). */
  prompt: string;
  response: ResponsePlan;
  cache: AnswerCache | undefined;
  /** Warnings said once per run (a cache that cannot be written). */
  warned: Set<string>;
}

/** The request for one image under a model: ONE user message with the image and the shared prompt. */
export function planImage(job: Job, img: Image, model: string, response: ResponsePlan = job.response): Plan {
  const messages = describeMessages([img], job.prompt, job.o.system);
  if (response.prefill) messages.push(response.prefill);
  const plan = makePlan([img], messages, { ...job.o, model, extra: response.extra }, job.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

/** The cache key of an image's answer under a plan: everything that changes the answer. */
export function cacheKeyOf(job: Job, img: Image, plan: Plan): string {
  const prefill = job.response.prefill ? String(job.response.prefill.content) : undefined;
  return cacheKey({ sha256: img.sha256, model: plan.model, system: job.o.system, prompt: job.prompt, prefill, params: plan.params });
}

export async function lookup(job: Job, img: Image, plan: Plan): Promise<CachedAnswer | undefined> {
  return job.cache?.get(cacheKeyOf(job, img, plan));
}
