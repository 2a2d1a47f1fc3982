// Sending a turn: the spinner's words as the request goes out and the answer comes, the answer
// streamed to stdout as it arrives (reasoning only on stderr, with --show-thinking); and the one
// retry of a JSON answer that fails its schema.
import type { MoonshotClient } from '../api/client.js';
import type { Completion } from '../api/completion.js';
import { outputLimit } from '../api/output-limit.js';
import { EXIT, KvError } from '../errors.js';
import { formatBytes, plural } from '../format.js';
import type { Image } from '../inputs/image.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { bodySource } from '../request/body.js';
import { assistantTurn } from '../request/history.js';
import type { Message } from '../request/messages.js';
import { checkJsonAnswer } from '../results/json-check.js';
import { streams, type Turn } from './prepare.js';

/** An answer of a turn: its completion, and the whole text (with a Partial Mode prefix in front). */
export interface Answered {
  completion: Completion;
  text: string;
  plan: Plan;
}

export async function sendTurn(client: MoonshotClient, plan: Plan, t: Turn): Promise<Answered> {
  const { io, term, o, response } = t;
  const streamText = streams(t);
  let printed = false;
  let thinkingShown = false;
  const media = plan.body.segments.filter((s): s is Image => !Buffer.isBuffer(s));
  await term.startSpinner(`Sending ${plural(media.length, 'image')} (${formatBytes(plan.body.bytes)}) to ${plan.model}…`);
  const completion = await client.chat(bodySource(plan.body), o.stream, {
    limit: outputLimit(plan.model, o.maxTokens),
    // (Each file was hashed as it was read for the body: request/body.ts, inputs/read.ts hashAlong.)
    onSent: () => term.setSpinnerText(`Waiting for ${plan.model}…`),
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
  const prefix = response.prefill ? String(response.prefill.content) : '';
  return { completion, text: prefix + completion.text, plan };
}

/** The assistant turn as it goes into the history and the saved conversation, reasoning included. */
export function assistantMessage(a: Answered): Message {
  return assistantTurn(a.text, a.completion.reasoning, a.completion.toolCalls);
}

/** A JSON answer must parse (and satisfy --schema); one retry shows the model what was wrong. */
export async function ensureJson(a: Answered, client: MoonshotClient, t: Turn): Promise<Answered> {
  if (!t.response.json || a.completion.finishReason === 'tool_calls') return a;
  const first = await checkJsonAnswer(a.text, t.response.schema);
  if (first.ok) return a;
  if (!t.response.schema) {
    throw new KvError(EXIT.rejected, `the answer is not a JSON object: ${first.problem}.`, 'Ask for a JSON object in the prompt, or raise --max-tokens if it was cut off.');
  }
  t.term.warn(`the answer does not satisfy the schema (${first.problem}); asking once more.`);
  const messages: Message[] = [
    ...a.plan.messages,
    assistantMessage(a),
    { role: 'user', content: `That answer is wrong: ${first.problem}. Reply with only the corrected JSON object.` },
  ];
  const plan = makePlan(t.images, messages, { ...t.o, model: a.plan.model, extra: t.response.extra }, t.settings.currency);
  const again = await sendTurn(client, plan, t);
  const second = await checkJsonAnswer(again.completion.text, t.response.schema);
  if (!second.ok) {
    throw new KvError(
      EXIT.rejected,
      `the answer still does not satisfy the schema after one retry: ${second.problem}.`,
      'Simplify the schema or the question, or try a stronger model.',
    );
  }
  return { ...again, text: again.completion.text };
}
