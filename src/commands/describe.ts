// `kimi-vision describe [inputs...]`: images -> one request -> the answer streamed to stdout.
// Also the turn of a conversation (--continue / --session), with JSON Mode, Partial Mode and tools.
import { commandInputs } from '../plan/inputs.js';
import { ApiError, EXIT, InterruptedError, KvError, UsageError, interruptedBy } from '../errors.js';
import { explainApiError } from '../api/explain.js';
import type { MoonshotClient } from '../api/client.js';
import { terminalClient } from '../client/terminal-client.js';
import { loadUndici } from '../api/http.js';
import type { Completion } from '../api/completion.js';
import { findFallback, mayFallBack } from '../client/fallback.js';
import { checkJsonAnswer } from '../results/json-check.js';
import { uploadMedia } from '../conversation/upload.js';
import { planResponse, toolMessages, type ResponseFlags, type ResponsePlan } from '../request/response.js';
import type { Image } from '../inputs/image.js';
import { withPromptFile } from '../inputs/prompt-file.js';
import { ensureHashed } from '../inputs/read.js';
import type { ResizeOptions } from '../inputs/resize-plan.js';
import type { Io } from '../io.js';
import { assistantMessage, printDryRun, printResult, estimateLine, type DescribeResult } from '../output/answer.js';
import { formatBytes, formatInt, formatMoney, plural } from '../format.js';
import { Terminal } from '../output/terminal.js';
import { makePlan, overContext, type Plan } from '../plan/plan.js';
import { bodySource, checkBodySize } from '../request/body.js';
import { refuseEachOnly, type EachFlags } from '../each/options.js';
import { defaultPrompt, describeMessages, type Message } from '../request/messages.js';
import { loadSession, newSession, saveSession, type Session } from '../session/session.js';
import { apiKey, resolveSettings } from '../settings.js';
import { loadConfig } from '../config.js';
import { withExactEstimate } from '../client/exact.js';
import type { ConversationFlags, RequestOptions } from '../request/options.js';

export interface DescribeOptions extends RequestOptions, ConversationFlags, EachFlags {
  format: 'text' | 'json' | 'jsonl' | 'markdown';
  /** Told the id of the session the turn was saved in (chat continues it). */
  onSession?: (id: string) => void;
}

export async function describeCommand(inputs: string[], o: DescribeOptions, io: Io): Promise<number> {
  o = await withPromptFile(o, io.cwd);
  refuseEachOnly(o);
  // A request will follow: load the HTTP client while the images are read.
  if (!o.dryRun || o.exact) void loadUndici().catch(() => undefined);
  const term = await Terminal.open(io, o.quiet);
  const config = loadConfig(io.env, (line) => term.warn(line));
  o = { ...o, format: o.format ?? (config.format as DescribeOptions['format'] | undefined) ?? 'text' }; // --format > config > text
  const settings = resolveSettings(o, io.env, config);
  const continuing = o.continue === true || o.session !== undefined;
  const prior = continuing ? await loadSession(io.env, o.session) : undefined;
  // Sent at once (not uploaded first): files are hashed once the body is sent (see send()), and a dry
  // run hashes only for the JSON it prints.
  const resolved = await commandInputs(inputs, o, io, term, { optional: continuing, deferHash: !o.upload });
  const images = resolved.resizer ? await resolved.resizer.resize(resolved.images, term) : resolved.images;
  if (o.toolResult?.length && !continuing) throw new UsageError('--tool-result needs --continue or --session.', 'Tool results answer the calls of a saved conversation.');
  if (prior && o.system) term.warn('--system applies to new conversations only; it is ignored with --continue.');
  if (images.length > 0) o = { ...o, prompt: o.prompt ?? config.prompt }; // the config's prompt is the default question for new images

  const firstModel = settings.modelChosen || !prior ? settings.model : prior.session.model;
  let history = prior?.messages ?? [];
  let response = await planResponse(o, firstModel, io.cwd, prior?.session.params);
  let turn = turnMessages(images, o, response, history, continuing);
  const planFor = (model: string): Plan => {
    const messages = [...history, ...turn, ...(response.prefill ? [response.prefill] : [])];
    const plan = makePlan(images, messages, { ...o, model, extra: response.extra }, settings.currency);
    checkBodySize(plan.body);
    return plan;
  };
  let plan = planFor(firstModel);
  if (o.exact) {
    try {
      plan = await withExactEstimate(plan, settings, config, io, term);
    } catch (err) {
      // The key cannot use the default model: count (and later send) with the model describe falls back to.
      const fallback = mayFallBack(err, settings.modelChosen) && !prior ? await fallbackWithNewClient(err, settings.baseUrl, apiKey(io.env, config), io, term, plan.model) : undefined;
      if (!fallback) throw err;
      term.warn(`${plan.model} is not available to this key (404); using ${fallback} instead. Choose one with -m.`);
      response = await planResponse(o, fallback, io.cwd);
      plan = await withExactEstimate(planFor(fallback), settings, config, io, term);
    }
  }

  if (o.dryRun) {
    if (o.format === 'json') await Promise.all(images.map(ensureHashed));
    printDryRun(plan, images, o.format, io);
    return EXIT.ok;
  }
  const key = apiKey(io.env, config);
  announce(plan, images, o, term);

  const started = io.monotonicMs();
  const client = terminalClient(settings.baseUrl, key, io, term, o);
  try {
    if (o.upload) {
      const note = (img: Image, id: string, reused: boolean) => term.note(reused ? `${img.path}: already uploaded as ms://${id}` : `${img.path}: uploading…`);
      history = await uploadMedia(history, client, io.env, note);
      turn = await uploadMedia(turn, client, io.env, note);
      plan = planFor(plan.model);
    }
    let completion: Completion;
    try {
      completion = await send(client, plan, response, o, io, term);
    } catch (err) {
      const fallback = prior ? undefined : await findFallback(err, settings.modelChosen, client, plan.model);
      if (!fallback) throw err;
      term.warn(`${plan.model} is not available to this key (404); using ${fallback} instead. Choose one with -m.`);
      response = await planResponse(o, fallback, io.cwd);
      plan = planFor(fallback);
      announce(plan, images, o, term);
      completion = await send(client, plan, response, o, io, term);
    }
    const text = (response.prefill ? String(response.prefill.content) : '') + completion.text;
    let result: DescribeResult = { completion, text, plan, images };
    if (response.json) result = await ensureJson(result, client, response, o, io, term);
    const session = prior?.session ?? newSession(plan.model);
    await save(session, plan, response, result, io, term);
    o.onSession?.(session.id);
    return printResult(result, { format: o.format, streamed: streams(o, response), maxTokens: o.maxTokens, currency: settings.currency, elapsedMs: io.monotonicMs() - started, sessionId: session.id }, io, term);
  } catch (err) {
    if (io.signal.aborted) throw interruptedBy(io.signal);
    if (err instanceof ApiError) throw explainApiError(err, { model: plan.model, attempts: client.attempts });
    throw err;
  } finally {
    term.stopSpinner();
    await client.close();
  }
}

/** The messages this turn adds: tool results, then one user message with the images and the prompt. */
function turnMessages(images: Image[], o: DescribeOptions, response: ResponsePlan, history: Message[], continuing: boolean): Message[] {
  const turn: Message[] = o.toolResult?.length ? toolMessages(o.toolResult, history) : [];
  if (continuing && images.length === 0 && o.prompt === undefined) {
    if (turn.length > 0) return turn;
    throw new UsageError('--continue needs a new prompt (-p), new inputs, or --tool-result.');
  }
  const prompt = (o.prompt ?? defaultPrompt(images.length)) + response.promptSuffix;
  return [...turn, ...describeMessages(images, prompt, continuing ? undefined : o.system)];
}

/** The answer streams to stdout in plain text mode; JSON answers and tool calls print whole. */
function streams(o: DescribeOptions, response: ResponsePlan): boolean {
  return o.format === 'text' && !response.json && response.extra.tools === undefined;
}

/** The estimate line, the context warning and the --max-cost check: all before anything is sent. */
function announce(plan: Plan, images: readonly Image[], o: DescribeOptions, term: Terminal): void {
  term.note(estimateLine(plan, images.length));
  const context = overContext(plan, o.maxTokens);
  if (context !== undefined) {
    term.warn(`the estimate (${formatInt(plan.estimate.input_tokens)} input tokens${o.maxTokens ? ` + ${formatInt(o.maxTokens)} output` : ''}) is over ${plan.model}'s context of ${formatInt(context)} tokens; the API will likely refuse it.`);
  }
  if (o.maxCost !== undefined && plan.estimate.cost.amount > o.maxCost) {
    throw new KvError(
      EXIT.money,
      `the estimated cost ${formatMoney(plan.estimate.cost)} is above --max-cost ${formatMoney({ amount: o.maxCost, currency: plan.estimate.cost.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer or smaller images, or pick a cheaper model.',
    );
  }
}

async function send(client: MoonshotClient, plan: Plan, response: ResponsePlan, o: DescribeOptions, io: Io, term: Terminal): Promise<Completion> {
  const streamText = streams(o, response);
  let printed = false;
  let thinkingShown = false;
  const media = plan.body.segments.filter((s): s is Image => !Buffer.isBuffer(s));
  await term.startSpinner(`Sending ${plural(media.length, 'image')} (${formatBytes(plan.body.bytes)}) to ${plan.model}…`);
  return client.chat(bodySource(plan.body), o.stream, {
    onSent: () => {
      term.setSpinnerText(`Waiting for ${plan.model}…`);
      // Files not hashed yet are hashed while the model thinks, off the send's path (the session
      // and the JSON output need their sha256; the save waits for these same hashes).
      void Promise.all(media.map(ensureHashed)).catch(() => undefined);
    },
    onResponse: () => term.setSpinnerText(`${plan.model} is answering…`),
    onDelta: (d) => {
      if (d.reasoning && !printed) {
        if (o.showThinking) {
          if (!thinkingShown) term.stopSpinner();
          thinkingShown = true;
          term.reasoning(d.reasoning);
        } else {
          term.setSpinnerText(`${plan.model} is thinking…`);
        }
      }
      if (!d.text) return;
      if (!printed) {
        if (thinkingShown) io.stderr.write('\n');
        // (the first write to stdout stops the spinner: output/terminal.ts)
        if (streamText && response.prefill) io.stdout.write(String(response.prefill.content));
      }
      printed = true;
      if (streamText) io.stdout.write(d.text);
    },
  });
}

async function fallbackWithNewClient(err: unknown, baseUrl: string, key: string, io: Io, term: Terminal, failed: string): Promise<string | undefined> {
  const client = terminalClient(baseUrl, key, io, term);
  try {
    return await findFallback(err, false, client, failed);
  } finally {
    await client.close();
  }
}

/** A JSON answer must parse (and satisfy --schema); one retry shows the model what was wrong. */
async function ensureJson(r: DescribeResult, client: MoonshotClient, response: ResponsePlan, o: DescribeOptions, io: Io, term: Terminal): Promise<DescribeResult> {
  if (r.completion.finishReason === 'tool_calls') return r;
  const first = await checkJsonAnswer(r.text, response.schema);
  if (first.ok) return r;
  if (!response.schema) {
    throw new KvError(EXIT.rejected, `the answer is not a JSON object: ${first.problem}.`, 'Ask for a JSON object in the prompt, or raise --max-tokens if it was cut off.');
  }
  term.warn(`the answer does not satisfy the schema (${first.problem}); asking once more.`);
  const messages: Message[] = [
    ...r.plan.messages,
    assistantMessage(r),
    { role: 'user', content: `That answer is wrong: ${first.problem}. Reply with only the corrected JSON object.` },
  ];
  const plan = makePlan(r.images, messages, { ...o, model: r.plan.model, extra: response.extra }, r.plan.estimate.cost.currency);
  const completion = await send(client, plan, response, o, io, term);
  const second = await checkJsonAnswer(completion.text, response.schema);
  if (!second.ok) {
    throw new KvError(EXIT.rejected, `the answer still does not satisfy the schema after one retry: ${second.problem}.`, 'Simplify the schema or the question, or try a stronger model.');
  }
  return { ...r, completion, text: completion.text, plan };
}

/** Saves the conversation; a failure to save never loses the printed answer. */
async function save(session: Session, plan: Plan, response: ResponsePlan, r: DescribeResult, io: Io, term: Terminal): Promise<void> {
  const messages = plan.messages.filter((m) => m.partial !== true);
  messages.push(assistantMessage(r));
  session.model = plan.model;
  session.params = Object.fromEntries(Object.entries(response.extra).filter(([k]) => k === 'response_format' || k === 'tools' || k === 'tool_choice'));
  await saveSession(session, messages, io.env).catch((err: Error) => term.warn(`the conversation could not be saved (${err.message}); --continue will not find it.`));
}
