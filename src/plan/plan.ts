// Images + options -> what would be sent and what it would cost. Pure apart from the random hole names.
import { UsageError } from '../errors.js';
import { estimateMessages, type Estimate } from '../estimate/estimate.js';
import type { Image } from '../inputs/image.js';
import { findModel, type Currency } from '../models.js';
import { planBody, type BodyPlan } from '../request/body.js';
import { messagesForModel } from '../request/history.js';
import type { Message } from '../request/messages.js';
import { requestParams, type ParamOptions } from '../request/params.js';

export interface Plan {
  model: string;
  messages: Message[];
  params: Record<string, unknown>;
  body: BodyPlan;
  estimate: Estimate;
}

export function makePlan(images: readonly Image[], messages: Message[], o: ParamOptions & { extra?: Record<string, unknown> | undefined }, currency: Currency): Plan {
  checkVideo(images, o.model);
  const params = { ...requestParams(o), ...o.extra };
  const sent = messagesForModel(messages, o.model);
  return {
    model: o.model,
    messages,
    params,
    body: planBody(params, sent),
    estimate: estimateMessages(o.model, sent, currency),
  };
}

/** Videos only go to models that take them (unknown models: let the API decide). */
function checkVideo(images: readonly Image[], modelId: string): void {
  const video = images.find((i) => i.kind === 'video');
  const model = findModel(modelId);
  if (video && model && !model.video) {
    throw new UsageError(`${video.path} is a video (${video.mime}) and ${modelId} does not take video.`, 'Pick a model that does, e.g. -m kimi-k2.6 or -m kimi-k3.');
  }
}

/** Whether the estimate (plus the asked-for output) is over the model's context. */
export function overContext(plan: Plan, maxTokens: number | undefined): number | undefined {
  const context = findModel(plan.model)?.context;
  if (context === undefined) return undefined;
  return plan.estimate.input_tokens + (maxTokens ?? 0) > context ? context : undefined;
}
