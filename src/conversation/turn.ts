// One turn of a conversation, as `describe` runs it and each line of `chat` does: the images and
// the history planned as ONE request, its estimate (or the API's count, --exact), then sent with
// the answer streamed, checked (JSON), saved and printed. The steps, in order, each its own function.
import type { MoonshotClient } from '../api/client.js';
import { explainApiError } from '../api/explain.js';
import { loadUndici } from '../api/http.js';
import { withExactEstimate } from '../client/exact.js';
import { withFallback } from '../client/fallback.js';
import { terminalClient } from '../client/terminal-client.js';
import { ApiError, EXIT, KvError, MoneyError, interruptedBy } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { formatInt, formatMoney } from '../format.js';
import { imageSummary, type Image } from '../inputs/image.js';
import { ensureHashed } from '../inputs/read.js';
import type { Io } from '../io.js';
import { printAnswer, printRequestDryRun, type ImageSummary } from '../output/answer.js';
import { estimateLine } from '../output/estimate-line.js';
import { overContext, type Plan } from '../plan/plan.js';
import { answerCost } from '../results/record.js';
import { apiKey } from '../settings.js';
import { openTurn, planTurn, streams, withModel, type Turn, type TurnOptions } from './prepare.js';
import { saveTurn } from './save.js';
import { ensureJson, sendTurn, type Answered } from './send.js';
import { uploadMedia } from './upload.js';

export type { TurnOptions };

export async function runTurn(inputs: string[], o: TurnOptions, io: Io): Promise<number> {
  // A request will follow: load the HTTP client while the images are read.
  if (!o.dryRun || o.exact) void loadUndici().catch(() => undefined);
  let t = await openTurn(inputs, o, io);
  let plan = planTurn(t);
  if (t.o.exact) ({ t, plan } = await countExactly(t, plan));
  if (t.o.dryRun) return dryRun(t, plan);
  const client = terminalClient(t.settings.baseUrl, apiKey(io.env, t.config), io, t.term, t.o);
  const started = io.monotonicMs();
  try {
    announce(t, plan);
    if (t.o.upload) t = await upload(t, client);
    const sent = await send(t, client, (switched) => (t = switched));
    const answered = await ensureJson(sent, client, t);
    const saved = await saveTurn(t, answered);
    if (!saved.failure) t.o.onSession?.(saved.session.id);
    const sessionId = saved.failure ? undefined : saved.session.id;
    printAnswer(
      await answerView(t, answered),
      { format: t.o.format, streamed: streams(t), maxTokens: t.o.maxTokens, elapsedMs: io.monotonicMs() - started, sessionId },
      io,
      t.term,
    );
    if (saved.failure) throw saved.failure; // after the answer: it is paid for, so it is shown
    return finished(answered);
  } catch (err) {
    if (io.signal.aborted) throw interruptedBy(io.signal);
    if (err instanceof ApiError) throw explainApiError(err, { model: t.model, attempts: client.attempts });
    throw err;
  } finally {
    t.term.stopSpinner();
    await client.close();
  }
}

/** --exact: the API's count replaces the estimate (with the model the key falls back to, if it must). */
async function countExactly(t: Turn, plan: Plan): Promise<{ t: Turn; plan: Plan }> {
  let turn = t;
  const counted = await withFallback(
    t.model,
    {
      modelChosen: t.settings.modelChosen || t.prior !== undefined,
      client: () => terminalClient(t.settings.baseUrl, apiKey(t.io.env, t.config), t.io, t.term),
      onSwitch: async (from, to) => {
        t.term.warn(`${from} is not available to this key (404); using ${to} instead. Choose one with -m.`);
        turn = await withModel(t, to);
      },
    },
    (model) => withExactEstimate(model === t.model ? plan : planTurn(turn), t.settings, t.config, t.io, t.term),
  );
  return { t: turn, plan: counted };
}

async function dryRun(t: Turn, plan: Plan): Promise<number> {
  const images = await Promise.all(t.images.map(async (img) => ({ ...(await summary(img, t.o.format === 'json')), dimensions: img.dimensions })));
  printRequestDryRun({ model: plan.model, images, estimate: plan.estimate, priced: hasPrice(plan.model, t.settings.currency), requestBytes: plan.body.bytes }, t.o.format, t.io);
  return EXIT.ok;
}

/** The estimate line, the context warning and the --max-cost check: all before anything is sent. */
function announce(t: Turn, plan: Plan): void {
  const { term, o } = t;
  term.note(estimateLine(plan.estimate, { images: t.images.length, model: plan.model, priced: hasPrice(plan.model, plan.estimate.cost.currency) }));
  const context = overContext(plan, o.maxTokens);
  if (context !== undefined) {
    term.warn(
      `the estimate (${formatInt(plan.estimate.input_tokens)} input tokens${o.maxTokens ? ` + ${formatInt(o.maxTokens)} output` : ''}) is over ${plan.model}'s context of ${formatInt(context)} tokens; the API will likely refuse it.`,
    );
  }
  if (o.maxCost !== undefined && plan.estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(plan.estimate.cost)} is above --max-cost ${formatMoney({ amount: o.maxCost, currency: plan.estimate.cost.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer or smaller images, or pick a cheaper model.',
    );
  }
}

/** --upload: media goes to /v1/files once and is sent as ms:// references. */
async function upload(t: Turn, client: MoonshotClient): Promise<Turn> {
  const note = (img: Image, id: string, reused: boolean) => t.term.note(reused ? `${img.path}: already uploaded as ms://${id}` : `${img.path}: uploading…`);
  const history = await uploadMedia(t.history, client, t.io.env, note);
  const added = await uploadMedia(t.added, client, t.io.env, note);
  return { ...t, history, added };
}

/**
 * Sends the turn; when the key cannot use the default model, once more with the one it falls back
 * to, telling `onSwitch` the turn as it is then sent (the fallback's model and request fields).
 */
async function send(t: Turn, client: MoonshotClient, onSwitch: (turn: Turn) => void): Promise<Answered> {
  let turn = t;
  return withFallback(
    t.model,
    {
      modelChosen: t.settings.modelChosen || t.prior !== undefined,
      client: () => client,
      onSwitch: async (from, to) => {
        t.term.warn(`${from} is not available to this key (404); using ${to} instead. Choose one with -m.`);
        turn = await withModel(turn, to);
        onSwitch(turn);
        announce(turn, planTurn(turn));
      },
    },
    () => sendTurn(client, planTurn(turn), turn),
  );
}

async function answerView(t: Turn, a: Answered) {
  const c = a.completion;
  const model = c.model ?? a.plan.model;
  const currency = t.settings.currency;
  return {
    model,
    text: a.text,
    finishReason: c.finishReason,
    usage: c.usage,
    cost: answerCost(c, a.plan.model, currency),
    priced: hasPrice(model, currency),
    images: await Promise.all(t.images.map((img) => summary(img, true))),
    toolCalls: c.toolCalls,
  };
}

/** An image as JSON output shows it; `hashed`: with its sha256 (hashed now if that was deferred). */
async function summary(img: Image, hashed: boolean): Promise<ImageSummary> {
  return imageSummary(img, hashed ? await ensureHashed(img) : img.sha256);
}

/** A content filter that stopped the answer fails the run, after what was said is printed. */
function finished(a: Answered): number {
  if (a.completion.finishReason === 'content_filter') {
    throw new KvError(EXIT.rejected, "the answer was stopped by Moonshot's content filter (finish_reason content_filter).", 'Change the prompt or the images.');
  }
  return EXIT.ok;
}
