// What the emulated model answers: deterministic reasoning, text or one tool call, and usage.

import { diffAnswer } from './diff-answer.js';
import { exampleFor, spacedJson } from './schema.js';
import { cutToTokens, textTokens } from './tokens.js';
import type { ReplyContext } from './types.js';
import type { ChatPlan } from './validate.js';

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
  prompt_tokens_details: { cached_tokens: number };
}

export interface Answer {
  reasoning: string;
  content: string;
  toolCall: ToolCall | undefined;
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: Usage;
}

export interface AnswerOptions {
  reply?: ((ctx: ReplyContext) => string | undefined) | undefined;
  toolArguments?: Record<string, unknown> | undefined;
}

function clip(text: string, chars: number): string {
  const cps = Array.from(text.trim().replace(/\s+/g, ' '));
  return cps.length > chars ? `${cps.slice(0, chars).join('')}…` : cps.join('');
}

/** The default answer: what was received, ASCII mixed with Chinese. */
function describe(plan: ChatPlan): string {
  const images = plan.media.filter((m) => m.kind === 'image').length;
  const videos = plan.media.length - images;
  const seen = [images > 0 ? `${images} 张图片` : '', videos > 0 ? `${videos} 个视频` : ''].filter(Boolean).join('和');
  const head = seen ? `我看到 ${seen}。` : '我没有看到图片。';
  const items = plan.media.map((m, i) => {
    const size = m.size ? `, ${m.size.width}x${m.size.height}` : '';
    return `${m.kind === 'video' ? 'Video' : 'Image'} ${i + 1}: ${m.mime}, ${m.bytes} bytes${size}.`;
  });
  const prompt = plan.lastUserText.trim() ? [`提示：“${clip(plan.lastUserText, 60)}”`] : [];
  return head + [...items, ...prompt].join(' ');
}

function reasoningFor(plan: ChatPlan): string {
  if (!plan.thinking) return '';
  if (plan.call) return `The user asks for ${plan.call.name}; 调用工具 ${plan.call.name}.`;
  if (plan.toolResult !== undefined) return '工具已返回结果。Summarise it for the user.';
  const base = `用户发送了 ${plan.media.length} 张图片，需要描述。Look at each image and answer concisely.`;
  if (plan.effort === 'high') return `${base} Check colours and layout.`;
  if (plan.effort === 'max' || plan.effort === undefined) return `${base} Check colours, layout and any text; 最后给出简洁的回答。`;
  return base;
}

function contentFor(plan: ChatPlan, opts: AnswerOptions, ctx: ReplyContext): string {
  const override = opts.reply?.(ctx) ?? diffAnswer(ctx);
  if (override !== undefined) return override;
  if (plan.toolResult !== undefined) return `Based on the tool result: ${clip(plan.toolResult, 40)}`;
  if (plan.format === 'json_object') return JSON.stringify({ description: describe(plan), image_count: plan.media.length });
  if (plan.format === 'json_schema') return JSON.stringify(exampleFor(plan.schema));
  if (plan.partialPrefix !== undefined) return ` continues after the prefix. ${describe(plan)}`;
  return describe(plan);
}

export function buildAnswer(plan: ChatPlan, opts: AnswerOptions, ctx: ReplyContext, cachedTokens: number): Answer {
  let reasoning = reasoningFor(plan);
  let content = '';
  let toolCall: ToolCall | undefined;
  let finishReason: Answer['finishReason'] = 'stop';
  if (plan.call) {
    const args = opts.toolArguments ?? exampleFor(plan.call.parameters ?? { type: 'object' });
    toolCall = { id: `${plan.call.name}_0`, name: plan.call.name, arguments: spacedJson(args) };
    finishReason = 'tool_calls';
  } else {
    content = contentFor(plan, opts, ctx);
  }
  if (plan.maxTokens !== undefined && !toolCall) {
    const budget = plan.maxTokens;
    if (textTokens(reasoning) + textTokens(content) > budget) {
      reasoning = cutToTokens(reasoning, budget);
      content = cutToTokens(content, budget - textTokens(reasoning));
      finishReason = 'length';
    }
  }
  const reasoningTokens = textTokens(reasoning);
  const completion = reasoningTokens + textTokens(content) + (toolCall ? textTokens(toolCall.name + toolCall.arguments) : 0);
  const usage: Usage = {
    prompt_tokens: plan.promptTokens,
    completion_tokens: completion,
    total_tokens: plan.promptTokens + completion,
    cached_tokens: cachedTokens,
    ...(plan.thinking ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
  return { reasoning, content, toolCall, finishReason, usage };
}
