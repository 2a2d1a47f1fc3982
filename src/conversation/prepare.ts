// A turn of a conversation before anything is sent: its settings, the saved conversation it
// continues, its images, the request fields (JSON Mode, tools, Partial Mode), and its messages.
import { commandSettings } from '../config.js';
import { UsageError } from '../errors.js';
import type { Image } from '../inputs/image.js';
import type { Io } from '../io.js';
import { Terminal } from '../output/terminal.js';
import { commandInputs } from '../plan/inputs.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { checkBodySize } from '../request/body.js';
import { defaultPrompt, describeMessages, type Message } from '../request/messages.js';
import type { ConversationFlags, RequestOptions } from '../request/options.js';
import { planResponse, toolMessages, type ResponsePlan } from '../request/response.js';
import { loadSession, type LoadedSession } from '../session/session.js';
import type { Config, Settings } from '../settings.js';

export interface TurnOptions extends RequestOptions, ConversationFlags {
  format: 'text' | 'json' | 'jsonl' | 'markdown';
  /** Told the id of the session the turn was saved in (chat continues it). */
  onSession?: (id: string) => void;
}

/** Everything a turn knows before sending. A value: what changes (uploads, a fallback model) makes a new one. */
export interface Turn {
  o: TurnOptions;
  io: Io;
  term: Terminal;
  config: Config;
  settings: Settings;
  /** The conversation continued, if any (with its file's identity, for the save). */
  prior: LoadedSession | undefined;
  images: readonly Image[];
  /** Earlier turns, as they are resent. */
  history: readonly Message[];
  /** What this turn adds: tool results, then one user message with the images and the prompt. */
  added: readonly Message[];
  response: ResponsePlan;
  model: string;
}

export async function openTurn(inputs: string[], options: TurnOptions, io: Io): Promise<Turn> {
  const term = await Terminal.open(io, options.quiet);
  const { config, settings } = commandSettings(options, io.env, (line) => term.warn(line));
  let o: TurnOptions = { ...options, format: options.format ?? (config.format as TurnOptions['format'] | undefined) ?? 'text' }; // --format > config > text
  const continuing = o.continue === true || o.session !== undefined;
  const prior = continuing ? await loadSession(io.env, o.session) : undefined;
  // Sent at once (not uploaded first): each file is hashed from the chunks read for the body
  // (request/body.ts). A dry run hashes only for the JSON it prints, then in the one read it makes: a
  // second read could find a file that other programs remove or rewrite meanwhile.
  const deferHash = !o.upload && !(o.dryRun && o.format === 'json');
  const resolved = await commandInputs(inputs, o, io, term, { optional: continuing, deferHash });
  const images = resolved.resizer ? await resolved.resizer.resize(resolved.images, term) : resolved.images;
  if (o.toolResult?.length && !continuing) throw new UsageError('--tool-result needs --continue or --session.', 'Tool results answer the calls of a saved conversation.');
  if (prior && o.system) term.warn('--system applies to new conversations only; it is ignored with --continue.');
  if (images.length > 0) o = { ...o, prompt: o.prompt ?? config.prompt }; // the config's prompt is the default question for new images
  const model = settings.modelChosen || !prior ? settings.model : prior.session.model;
  const history = prior?.messages ?? [];
  const response = await planResponse(o, model, io.cwd, prior?.session.params);
  const added = turnMessages(images, o, response, history, continuing);
  return { o, io, term, config, settings, prior, images, history, added, response, model };
}

/** The turn's request for its model (or another): history, this turn, and a Partial Mode prefix. */
export function planTurn(t: Turn): Plan {
  const messages = [...t.history, ...t.added, ...(t.response.prefill ? [t.response.prefill] : [])];
  const plan = makePlan(t.images, messages, { ...t.o, model: t.model, extra: t.response.extra }, t.settings.currency);
  checkBodySize(plan.body);
  return plan;
}

/** The same turn for another model (the fallback): its own request fields. */
export async function withModel(t: Turn, model: string): Promise<Turn> {
  return { ...t, model, response: await planResponse(t.o, model, t.io.cwd, t.prior?.session.params) };
}

function turnMessages(images: readonly Image[], o: TurnOptions, response: ResponsePlan, history: readonly Message[], continuing: boolean): Message[] {
  const added: Message[] = o.toolResult?.length ? toolMessages(o.toolResult, history) : [];
  if (continuing && images.length === 0 && o.prompt === undefined) {
    if (added.length > 0) return added;
    throw new UsageError('--continue needs a new prompt (-p), new inputs, or --tool-result.');
  }
  const prompt = (o.prompt ?? defaultPrompt(images.length)) + response.promptSuffix;
  return [...added, ...describeMessages(images, prompt, continuing ? undefined : o.system)];
}

/** The answer streams to stdout in plain text mode; JSON answers and tool calls print whole. */
export function streams(t: Turn): boolean {
  return t.o.format === 'text' && !t.response.json && t.response.extra.tools === undefined;
}
