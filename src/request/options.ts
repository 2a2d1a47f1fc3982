// What the user asked of a request, as describe, describe --each, chat and the per-image commands
// take it from the command line: the shared option types (the commands add their own).
import type { ResizeOptions } from '../inputs/resize-plan.js';
import type { ResponseFlags } from './response.js';

export interface RequestOptions extends ResponseFlags, ResizeOptions {
  prompt?: string;
  promptFile?: string;
  system?: string;
  model?: string;
  baseUrl?: string;
  insecureHttp?: boolean;
  maxTokens?: number;
  temperature?: number;
  thinking?: 'on' | 'off';
  effort?: string;
  stream: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  maxCost?: number;
  /** --timeout in seconds: headers and idle; connect at most 10 s. */
  timeout?: number;
  maxAttempts?: number;
}

/** describe's own: a conversation, and what only makes sense for one request. */
export interface ConversationFlags {
  /** Ask the API for the exact input token count (needs a key). */
  exact?: boolean;
  showThinking?: boolean;
  continue?: boolean;
  session?: string;
  toolResult?: string[];
  upload?: boolean;
}
