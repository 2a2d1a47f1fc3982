// Validation and token counting of `messages`: roles, content parts, media, tool-call pairing.

import type { LiveModel } from './catalog.js';
import { partUrl, type DataUrlInfo, type FileLookup } from './inspect.js';
import type { Size } from './media.js';
import { badRequest, tokenLimit } from './respond.js';
import { imageTokens, PER_MESSAGE_TOKENS, textTokens, VIDEO_TOKENS } from './tokens.js';

export interface PartMedia {
  kind: 'image' | 'video';
  mime: string;
  bytes: number;
  size: Size | undefined;
}

export interface MessageFacts {
  promptTokens: number;
  media: PartMedia[];
  lastRole: string;
  /** Text of the last user message. */
  lastUserText: string;
  /** Content of the last message when it is a tool result. */
  toolResult: string | undefined;
  /** Prefix of a trailing `partial: true` assistant message. */
  partialPrefix: string | undefined;
}

interface Ctx {
  model: LiveModel;
  seen: Map<string, DataUrlInfo>;
  files: FileLookup;
  media: PartMedia[];
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const MIME_ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/x-ms-bmp': 'image/bmp' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkMessages(messages: unknown, model: LiveModel, seen: Map<string, DataUrlInfo>, files: FileLookup): MessageFacts {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest('Invalid request: messages must be a non-empty array');
  }
  const ctx: Ctx = { model, seen, files, media: [] };
  let tokens = 0;
  let lastUserText = '';
  let pending: string[] = [];
  messages.forEach((m: unknown, i) => {
    if (!isObj(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw badRequest(`Invalid request: messages[${i}].role must be one of system, user, assistant, tool`);
    }
    if (m.role === 'tool') {
      const id = m.tool_call_id;
      if (typeof id !== 'string' || !pending.includes(id)) {
        throw badRequest(`Invalid request: tool_call_id ${String(id)} of messages[${i}] answers no tool call`);
      }
      pending = pending.filter((p) => p !== id);
    } else if (pending.length > 0) {
      throw missingToolReplies(pending);
    }
    if (m.partial === true && (m.role !== 'assistant' || i !== messages.length - 1)) {
      throw badRequest('Invalid request: only the last message, from the assistant, may be partial');
    }
    const text = contentText(m, i, ctx);
    if (m.role === 'user') lastUserText = text;
    tokens += PER_MESSAGE_TOKENS + textTokens(text);
    if (m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null) {
      const calls = toolCalls(m.tool_calls, i);
      tokens += calls.reduce((n, c) => n + textTokens(c.text), 0);
      pending = calls.map((c) => c.id);
    }
  });
  if (pending.length > 0) throw missingToolReplies(pending);
  for (const item of ctx.media) tokens += item.kind === 'video' ? VIDEO_TOKENS : imageTokens(item.size, model.patchLimit);
  const last = messages[messages.length - 1] as Obj;
  return {
    promptTokens: tokens,
    media: ctx.media,
    lastRole: String(last.role),
    lastUserText,
    toolResult: last.role === 'tool' ? String(last.content ?? '') : undefined,
    partialPrefix: last.partial === true ? String(last.content ?? '') : undefined,
  };
}

function missingToolReplies(ids: string[]): Error {
  return badRequest(`Invalid request: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. Missing: ${ids.join(', ')}`);
}

function toolCalls(value: unknown, i: number): { id: string; text: string }[] {
  if (!Array.isArray(value)) throw badRequest(`Invalid request: messages[${i}].tool_calls must be an array`);
  return value.map((c: unknown) => {
    const fn = isObj(c) ? c.function : undefined;
    if (!isObj(c) || typeof c.id !== 'string' || !isObj(fn) || typeof fn.name !== 'string') {
      throw badRequest(`Invalid request: messages[${i}].tool_calls items need id and function.name`);
    }
    return { id: c.id, text: fn.name + String(fn.arguments ?? '') };
  });
}

/** The text of a message; media parts are checked and recorded in ctx.media. */
function contentText(m: Obj, i: number, ctx: Ctx): string {
  const content = m.content;
  if (typeof content === 'string') {
    if (m.role === 'user' && content.trimStart().startsWith('[{')) throw tokenLimit(ctx.model.context);
    return content;
  }
  if (content === undefined || content === null) {
    if (m.role === 'assistant') return '';
    throw badRequest(`Invalid request: messages[${i}].content is required`);
  }
  if (!Array.isArray(content) || content.length === 0) {
    throw badRequest(`Invalid request: messages[${i}].content must be a string or a non-empty array of parts`);
  }
  let text = '';
  content.forEach((part: unknown, j) => {
    const where = `messages[${i}].content[${j}]`;
    if (!isObj(part) || typeof part.type !== 'string') throw badRequest(`Invalid request: ${where} must be a part with a type`);
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw badRequest(`Invalid request: ${where}.text must be a string`);
      text += part.text;
    } else if ((part.type === 'image_url' || part.type === 'video_url') && m.role === 'user') {
      checkMediaPart(part, where, ctx);
    } else {
      throw badRequest(`Invalid request: ${where} has unsupported type ${part.type} for role ${String(m.role)}`);
    }
  });
  return text;
}

function checkMediaPart(part: Obj, where: string, ctx: Ctx): void {
  const kind = part.type === 'video_url' ? 'video' : 'image';
  if (kind === 'video' && !ctx.model.video) {
    throw badRequest(`Invalid request: video input is not supported by model ${ctx.model.id}`);
  }
  const url = partUrl(part);
  if (typeof url !== 'string' || url === '') throw badRequest(`Invalid request: ${where}.${part.type}.url is required`);
  if (url.startsWith('ms://')) {
    const id = url.slice(5);
    const file = ctx.files(id);
    if (!file) throw badRequest(`Invalid request: file ${id} not found`);
    if (file.purpose !== kind) {
      throw badRequest(`Invalid request: file ${id} was uploaded with purpose ${file.purpose}, not ${kind}`);
    }
    ctx.media.push({ kind, mime: file.sniffed.mime, bytes: file.bytes, size: file.size });
    return;
  }
  const info = url.startsWith('data:') ? ctx.seen.get(url) : undefined;
  if (!info) {
    throw badRequest(`Invalid request: ${kind} url must be a base64 data URL or ms://<file_id>; ${schemeOf(url)} URLs are not supported`);
  }
  if (info.badBase64) throw badRequest(`Invalid request: ${where} is not valid base64`);
  if (info.sniffed.kind !== kind) throw badRequest(`Invalid request: unsupported ${kind} format: ${info.sniffed.mime}`);
  const claimed = MIME_ALIASES[info.claimed] ?? info.claimed;
  if (claimed !== info.sniffed.mime) {
    throw badRequest(`Invalid request: ${kind} type mismatch: the data URL says ${info.claimed || '(none)'} but the data is ${info.sniffed.mime}`);
  }
  ctx.media.push({ kind, mime: info.sniffed.mime, bytes: info.bytes, size: info.size });
}

function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return m?.[1] ? m[1].toLowerCase() : 'such';
}
