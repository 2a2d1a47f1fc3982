// What a saved conversation must look like when it is read back: a file of the wrong shape (`{}`,
// `null`, `[]`, a number where a string was) is "damaged: <path>" (exit 2), never a TypeError later.
// The fields that become file names or paths are checked for their form too: an id is a file name
// in the sessions folder and a sha256 names a blob, so neither may walk out of its folder.
import { array, count, kindOf, literal, matching, number, object, oneOf, optional, record, string, unknown, type Infer, type Shape, ShapeError } from '../store/shape.js';

/** A session id: what newSession makes, and nothing that could name another folder. */
export const SESSION_ID = /^[\w-][\w.-]{0,199}$/;
const SHA256 = /^[0-9a-f]{64}$/;

const media = object({
  type: literal('media'),
  path: string,
  mime: string,
  kind: literal('image', 'video'),
  bytes: count,
  sha256: matching(SHA256, 'a sha256 (64 hex digits)'),
  dimensions: optional(object({ width: count, height: count })),
  /** Absolute file path (files), or absent when the bytes are in the blob store. */
  file: optional(string),
  mtimeMs: optional(number),
  /** The `ms://` reference of an upload: resent instead of the bytes. */
  url: optional(string),
});
const text = object({ type: literal('text'), text: string });
const imageUrl = object({ type: literal('image_url'), image_url: object({ url: string }) });
const videoUrl = object({ type: literal('video_url'), video_url: object({ url: string }) });

/** One part of a message, told apart by its type. */
const part: Shape<Infer<typeof media> | Infer<typeof text> | Infer<typeof imageUrl> | Infer<typeof videoUrl>> = (v, at) => {
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (type === 'media') return media(v, at);
  if (type === 'text') return text(v, at);
  if (type === 'image_url') return imageUrl(v, at);
  if (type === 'video_url') return videoUrl(v, at);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(at, v === undefined ? 'is missing' : `must be an object, not ${kindOf(v)}`);
  throw new ShapeError(`${at}.type`, type === undefined ? 'is missing' : `must be "media", "text", "image_url" or "video_url", not ${kindOf(type)}`);
};

const toolCall = object({ id: string, function: object({ name: string, arguments: string }) });

const message = object({
  role: literal('system', 'user', 'assistant', 'tool'),
  content: oneOf(string, array(part), 'a string or an array of parts'),
  reasoning_content: optional(string),
  tool_calls: optional(array(toolCall)),
  tool_call_id: optional(string),
});

export const sessionShape = object({
  version: literal(1),
  id: matching(SESSION_ID, 'a session id'),
  created_at: string,
  updated_at: string,
  model: string,
  /** Request fields that stay for the whole conversation: response_format, tools, tool_choice. */
  params: record(unknown),
  messages: array(message),
});
