// Token and cost estimates from the model table. Pure.
import type { Dimensions } from '../inputs/dimensions.js';
import type { Image } from '../inputs/image.js';
import type { Message } from '../request/messages.js';
import { findModel, priceFor, UNKNOWN_IMAGE_RULE, type Cost, type Currency, type ImageTokenRule } from '../models.js';

export interface Estimate {
  image_tokens: number;
  text_tokens: number;
  input_tokens: number;
  cost: Cost;
  /** Set by --exact: input_tokens (and cost) are the API's count; the image/text split stays local. */
  exact?: boolean;
}

/**
 * Image tokens under a rule. `patches`: Kimi's open-weights preprocessor (shared/kimi-api.md):
 * 14 px patches, floor(w/14)*floor(h/14) of them; scale = min(1, sqrt(limit/patches), 7168/w, 7168/h);
 * one token per 28x28 px of the scaled size, rounded up. Unknown size: 1,024.
 */
/** Tokens charged for an image or video whose size is unknown (and for video, whose rule is unknown). */
const UNKNOWN_SIZE_TOKENS = 1024;

export function imageTokens(rule: ImageTokenRule, dims: Dimensions | undefined): number {
  if (rule.kind === 'fixed') return rule.tokens;
  if (!dims || dims.width <= 0 || dims.height <= 0) return UNKNOWN_SIZE_TOKENS;
  const { width: w, height: h } = dims;
  const patches = Math.max(1, Math.floor(w / 14) * Math.floor(h / 14));
  const scale = Math.min(1, Math.sqrt(rule.patchLimit / patches), 7168 / w, 7168 / h);
  return Math.ceil((w * scale) / 28) * Math.ceil((h * scale) / 28);
}

/**
 * Local text-token heuristic: one token per 4 ASCII characters, one per CJK or other non-ASCII
 * character (Kimi's tokenizer packs English at ~4 chars a token and Chinese at ~1-1.5 chars a
 * token; counting CJK as one each errs high), plus 8 per message for the chat template.
 */
export function textTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

const MESSAGE_OVERHEAD_TOKENS = 8;

function mediaTokens(modelId: string, img: Pick<Image, 'kind' | 'dimensions'>): number {
  const rule = findModel(modelId)?.imageTokens ?? UNKNOWN_IMAGE_RULE;
  return imageTokens(rule, img.dimensions);
}

/** Sums image and text tokens over all messages, and prices them as input. */
export function estimateMessages(modelId: string, messages: readonly Message[], currency: Currency): Estimate {
  let image = 0;
  let text = 0;
  for (const m of messages) {
    text += MESSAGE_OVERHEAD_TOKENS;
    if (typeof m.reasoning_content === 'string') text += textTokens(m.reasoning_content);
    if (typeof m.content === 'string') {
      text += textTokens(m.content);
      continue;
    }
    for (const p of m.content) {
      if (p.type === 'text') text += textTokens(p.text);
      else if (p.type === 'media') image += mediaTokens(modelId, p.image);
      else image += UNKNOWN_SIZE_TOKENS;
    }
  }
  const input = image + text;
  return { image_tokens: image, text_tokens: text, input_tokens: input, cost: inputCost(modelId, input, currency) };
}

export function roundMoney(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function inputCost(modelId: string, tokens: number, currency: Currency): Cost {
  const price = priceFor(findModel(modelId), currency);
  return { amount: price ? roundMoney((tokens * price.input) / 1e6) : 0, currency };
}

/** The cost of a finished request from its actual usage (cached input at the cached price if known). */
export function usageCost(modelId: string, usage: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number | undefined }, currency: Currency): Cost {
  const price = priceFor(findModel(modelId), currency);
  if (!price) return { amount: 0, currency };
  const cached = Math.min(usage.cached_tokens ?? 0, usage.prompt_tokens);
  const cachedPrice = price.cachedInput ?? price.input;
  const amount = ((usage.prompt_tokens - cached) * price.input + cached * cachedPrice + usage.completion_tokens * price.output) / 1e6;
  return { amount: roundMoney(amount), currency };
}

/** True when the model's price is known (else costs print as "price unknown"). */
export function hasPrice(modelId: string, currency: Currency): boolean {
  return priceFor(findModel(modelId), currency) !== undefined;
}

/** The sum of per-image estimates (each request carries its own prompt). */
export function sumEstimates(estimates: readonly Estimate[], currency: Currency): Estimate {
  const total: Estimate = { image_tokens: 0, text_tokens: 0, input_tokens: 0, cost: { amount: 0, currency } };
  for (const e of estimates) {
    total.image_tokens += e.image_tokens;
    total.text_tokens += e.text_tokens;
    total.input_tokens += e.input_tokens;
    total.cost.amount += e.cost.amount;
  }
  total.cost.amount = roundMoney(total.cost.amount);
  return total;
}
