// The chat messages, with images kept as values until the body is written.
import type { Image } from '../inputs/image.js';

export type Part =
  | { type: 'text'; text: string }
  /** An image or video from disk or stdin: written as a base64 data URL when the body is streamed,
   *  or as `url` (an `ms://<file_id>` of an upload) when it has one. */
  | { type: 'media'; image: Image; url?: string }
  /** An already-uploaded file (`ms://<id>`) or any URL the API accepts. */
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'video_url'; video_url: { url: string } };

export interface Message {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | Part[];
  [extra: string]: unknown;
}

export function defaultPrompt(imageCount: number): string {
  return imageCount > 1 ? 'Describe the images.' : 'Describe the image.';
}

/** The prompt with the length instruction of --max-chars appended. */
export function withMaxChars(prompt: string, maxChars: number | undefined): string {
  return maxChars === undefined ? prompt : `${prompt}\n\nAnswer in at most ${maxChars} characters.`;
}

/** ONE user message: every image part in input order, then the text part; a system message first. */
export function describeMessages(images: readonly Image[], prompt: string, system?: string): Message[] {
  const messages: Message[] = [];
  if (system) messages.push({ role: 'system', content: system });
  messages.push({
    role: 'user',
    content: [...images.map((image): Part => ({ type: 'media', image })), { type: 'text', text: prompt }],
  });
  return messages;
}
