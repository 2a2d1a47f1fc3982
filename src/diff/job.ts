// What every pair of a diff run shares (options, settings, what is asked, the cache), what each
// entry became after the local comparison, and how one request is planned and found in the cache.
import type { Completion, Usage } from '../api/completion.js';
import type { Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import type { Message } from '../request/messages.js';
import type { Settings } from '../settings.js';
import { cacheKey, type AnswerCache } from '../store/answer-cache.js';
import { checkDiffAnswer, diffResponseFormat, type DiffAnswer } from './answer.js';
import type { DiffOptions, DiffSettings } from './options.js';
import type { PairEntry } from './pairs.js';
import type { LocalFacts } from './pixels.js';
import { aloneMessages, diffMessages, isExpecting, retryMessages, type DiffAsk } from './prompt.js';

export interface DiffJob {
  o: DiffOptions;
  s: DiffSettings;
  io: Io;
  term: Terminal;
  settings: Settings;
  ask: DiffAsk;
  cache: AnswerCache | undefined;
  /** Warnings said once per run (a cache that cannot be written). */
  warned: Set<string>;
}

type OneSide = Extract<PairEntry, { status: 'added' | 'removed' }>;

/** An entry once compared locally: settled without a request, or one request to send. */
export type DiffItem =
  | { kind: 'same'; entry: PairEntry; facts: LocalFacts }
  /** A file on one side only, not described (no --describe-new). */
  | { kind: 'only'; entry: OneSide }
  | SendItem;

/** A changed pair (both images), or with --describe-new a file on one side (its one image). */
export interface SendItem {
  kind: 'send';
  entry: PairEntry;
  facts: LocalFacts | undefined;
  /** The images as sent, hashed (the cache key needs their sha256). */
  images: readonly Image[];
}

/** An answer the cache holds for an item, checked like a fresh one. */
export interface DiffHit {
  answer: DiffAnswer;
  model: string;
  usage: Usage;
}

/** Whether the item's answer says as_expected: only pairs are checked against --expect. */
export function expectsAnswer(job: DiffJob, item: SendItem): boolean {
  return item.entry.status === 'pair' && isExpecting(job.ask);
}

/** The request of an item to `model`: ONE user message with its labelled image(s) and the instruction. */
export function planItem(job: DiffJob, item: SendItem, model: string): Plan {
  const [first, second] = item.images as [Image, Image | undefined];
  const { entry } = item;
  const messages = entry.status === 'pair' ? diffMessages(first, second as Image, item.facts as LocalFacts, job.ask) : aloneMessages(entry.status, first, job.ask);
  const extra = { response_format: diffResponseFormat(model, expectsAnswer(job, item)) };
  const plan = makePlan(item.images, messages, { ...job.o, model, extra }, job.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

/** The one retry of an item: its first request, the answer that failed the check, and what was wrong. */
export function planRetry(job: DiffJob, item: SendItem, first: Plan, answer: Pick<Completion, 'text' | 'reasoning'>, problem: string): Plan {
  const messages = retryMessages(first.messages, answer.text, problem, answer.reasoning);
  const plan = makePlan(item.images, messages, { ...job.o, model: first.model, extra: { response_format: first.params.response_format } }, job.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

/** The cache key of an item's answer under a plan: both images, the instruction, the model, the parameters. */
export function itemCacheKey(job: DiffJob, item: SendItem, plan: Plan): string {
  const hashes = item.images.map((img) => img.sha256);
  return cacheKey({
    sha256: hashes[0] as string,
    images: hashes.length > 1 ? hashes : undefined,
    model: plan.model,
    system: job.ask.system,
    prompt: userText(plan.messages),
    params: plan.params,
  });
}

/** A cached answer that still passes the check; anything else is a miss (and is sent again). */
export async function lookupItem(job: DiffJob, item: SendItem, plan: Plan): Promise<DiffHit | undefined> {
  const hit = await job.cache?.get(itemCacheKey(job, item, plan));
  if (!hit) return undefined;
  const check = checkDiffAnswer(hit.text, expectsAnswer(job, item));
  return check.ok ? { answer: check.answer, model: hit.model, usage: hit.usage } : undefined;
}

/** The text parts of the user messages, labels included: what the images are asked about. */
function userText(messages: readonly Message[]): string {
  return messages
    .filter((m) => m.role === 'user')
    .flatMap((m) => (typeof m.content === 'string' ? [m.content] : m.content.flatMap((p) => (p.type === 'text' ? [p.text] : []))))
    .join('\n');
}
