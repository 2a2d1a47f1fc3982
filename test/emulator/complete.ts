// The chat logic without HTTP: validate a parsed body and build the answer (chat and batches).

import { createHash } from 'node:crypto';
import { buildAnswer, type Answer } from './answer.js';
import type { Caller } from './auth.js';
import { envelopeFor, type Envelope } from './chunks.js';
import { collectMedia, summarise, type DataUrlInfo } from './inspect.js';
import type { State } from './state.js';
import type { MediaInfo } from './types.js';
import { validateChat, type ChatPlan } from './validate.js';

export interface Completion {
  plan: ChatPlan;
  answer: Answer;
  env: Envelope;
}

/** A parsed request body with its small logged copy and decoded media. */
export interface Inspected {
  body: unknown;
  logged: unknown;
  images: MediaInfo[];
  seen: Map<string, DataUrlInfo>;
}

export function inspectBody(body: unknown, state: State): Inspected {
  const seen = new Map<string, DataUrlInfo>();
  const logged = summarise(body, seen);
  return { body, logged, images: collectMedia(body, seen, state.files.lookup), seen };
}

/** Parses JSON bytes; undefined when they are not JSON. */
export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Validates and answers; throws the ApiError the service would answer. */
export function complete(state: State, input: Inspected, caller: Caller): Completion {
  const plan = validateChat(input.body, { allowed: caller.allowed, seen: input.seen, files: state.files.lookup, reasoning: state.reasoning });
  const logged = input.logged as Record<string, unknown>;
  const promptKey = createHash('sha256')
    .update(`${caller.key}\n${plan.model.id}\n${JSON.stringify(logged.messages)}`)
    .digest('hex');
  const cached = state.prompts.has(promptKey) ? plan.promptTokens : 0;
  state.prompts.add(promptKey);
  const answer = buildAnswer(
    plan,
    { reply: state.opts.reply, toolArguments: state.opts.toolArguments },
    { body: input.logged, model: plan.model.id, images: input.images },
    cached,
  );
  if (plan.thinking) state.reasoning.remember(answer.reasoning);
  return { plan, answer, env: envelopeFor(plan.model) };
}
