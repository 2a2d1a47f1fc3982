// --exact: the API's own count of the input tokens (POST /tokenizers/estimate-token-count), in place of
// the local estimate. The same messages as the chat request, images as data URLs, streamed from disk.
import { callApi } from './call.js';
import { EXIT, KvError, NetworkError } from '../errors.js';
import type { Io } from '../io.js';
import type { Terminal } from '../output/terminal.js';
import type { Plan } from '../plan/plan.js';
import { bodySource, planBody } from '../request/body.js';
import { apiKey, type Config, type Settings } from '../settings.js';
import { inputCost } from '../estimate/estimate.js';

const ESTIMATE_PATH = '/tokenizers/estimate-token-count';

/** `{"data":{"total_tokens":N}}` -> N. */
export function readTokenCount(body: unknown): number | undefined {
  const n = (body as { data?: { total_tokens?: unknown } } | null)?.data?.total_tokens;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The plan with its estimate's input_tokens (and cost) from the API, marked exact: true.
 * image_tokens / text_tokens stay the local split (the API gives only the total).
 */
export async function withExactEstimate(plan: Plan, settings: Settings, config: Config, io: Io, term: Terminal): Promise<Plan> {
  const key = exactKey(io.env, config);
  const body = planBody({ model: plan.model }, plan.messages);
  await term.startSpinner(`Counting input tokens with ${plan.model}…`);
  let answer: unknown;
  try {
    answer = await callApi(settings.baseUrl, key, io, term, `POST ${ESTIMATE_PATH}`, (c) => c.postBody(ESTIMATE_PATH, bodySource(body)), plan.model);
  } finally {
    term.stopSpinner();
  }
  const tokens = readTokenCount(answer);
  if (tokens === undefined) {
    throw new NetworkError('bad_response', `${new URL(settings.baseUrl).host} answered ${ESTIMATE_PATH} without data.total_tokens.`, 'Drop --exact to use the local estimate.');
  }
  return { ...plan, estimate: { ...plan.estimate, input_tokens: tokens, cost: inputCost(plan.model, tokens, settings.currency), exact: true } };
}

function exactKey(env: Record<string, string | undefined>, config: Config): string {
  try {
    return apiKey(env, config);
  } catch (err) {
    if (!(err instanceof KvError)) throw err;
    throw new KvError(
      EXIT.auth,
      '--exact asks the API to count the tokens, so it needs MOONSHOT_API_KEY (also with --dry-run).',
      'Export MOONSHOT_API_KEY (or store it: kimi-vision config set api_key), or drop --exact for the local estimate.',
    );
  }
}
