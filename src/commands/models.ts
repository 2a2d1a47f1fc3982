// `kimi-vision models`: what the key can use (GET /v1/models) merged with the model table.
import { modelRows, unavailableModels, type ModelRow } from '../account/models.js';
import { readListedModels, type ListedModel } from '../api/models-list.js';
import { callApi } from '../client/call.js';
import { pickFallback } from '../client/fallback.js';
import { commandSettings } from '../config.js';
import { EXIT, NetworkError } from '../errors.js';
import type { Io } from '../io.js';
import { CNY_PER_USD, MODEL_TABLE_DATE } from '../models.js';
import { formatInt } from '../format.js';
import { formatTable } from '../output/table.js';
import { Terminal } from '../output/terminal.js';
import { apiKey } from '../settings.js';

export interface ModelsOptions {
  format: 'text' | 'json';
  all?: boolean;
  offline?: boolean;
  baseUrl?: string;
  insecureHttp?: boolean;
}

export async function modelsCommand(o: ModelsOptions, io: Io): Promise<number> {
  const term = await Terminal.open(io);
  const { config, settings } = commandSettings(o, io.env, (l) => term.warn(l));
  let listed: ListedModel[] | undefined;
  let body: unknown;
  if (!o.offline) {
    const key = apiKey(io.env, config);
    body = await callApi(settings.baseUrl, key, io, term, 'GET /models', (c) => c.getJson('/models'));
    listed = readListedModels(body);
    if (!listed) {
      throw new NetworkError(
        'bad_response',
        `${new URL(settings.baseUrl).host} answered GET /models without a model list.`,
        'Check --base-url: it should end in /v1 of a Moonshot-compatible API.',
      );
    }
  }
  const rows = modelRows(listed, { currency: settings.currency, defaultModel: settings.model, all: o.all === true });
  if (o.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(table(rows, settings.currency));
  const dim = (s: string) => term.note(s, 'dim');
  dim(
    `* the model describe uses (${settings.model}${settings.modelChosen ? '' : ', built-in default'}); change it with \`kimi-vision config set model <id>\` or KIMI_VISION_MODEL, or per run with -m`,
  );
  if (rows.some((r) => r.price?.derived)) dim(`≈ converted from the other platform's price at ${CNY_PER_USD} CNY per USD`);
  dim(`prices from kimi-vision's model table of ${MODEL_TABLE_DATE}; ? = not known`);
  if (listed) {
    if (listed.length === 0) term.warn('this key lists no models.');
    const missing = unavailableModels(listed);
    if (missing.length > 0 && !o.all) term.note(`not available to this key: ${missing.join(', ')} (--all lists them)`);
    if (!listed.some((m) => m.id === settings.model)) {
      const fallback = settings.modelChosen ? undefined : pickFallback(listed, settings.model);
      term.warn(
        settings.modelChosen
          ? `warning: your default model ${settings.model} is not available to this key; pick one above with -m or \`kimi-vision config set model\`.`
          : `note: ${settings.model} is not available to this key; describe will fall back to ${fallback ?? 'nothing (no model listed takes images)'}.`,
      );
    }
  }
  return EXIT.ok;
}

function table(rows: readonly ModelRow[], currency: string): string {
  const symbol = currency === 'USD' ? '$' : '¥';
  const yesNo = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');
  const lines = rows.map((r) => [
    `${r.id}${r.default ? ' *' : ''}`,
    yesNo(r.images),
    yesNo(r.video),
    r.context === null ? '?' : contextSize(r.context),
    thinkingText(r),
    r.price ? `${r.price.derived ? '≈' : ''}${r.price.input.toFixed(2)} / ${r.price.output.toFixed(2)}` : '?',
    modelStatusText(r),
  ]);
  return formatTable([['MODEL', 'IMAGES', 'VIDEO', 'CONTEXT', 'THINKING', `${symbol}/1M IN / OUT`, 'STATUS'], ...lines], [3, 5]);
}

/** 262,144 -> 256K, 1,048,576 -> 1M; other figures in full. */
function contextSize(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / 1024 / 1024}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return formatInt(n);
}

function thinkingText(r: ModelRow): string {
  switch (r.thinking) {
    case 'optional':
      return 'on/off';
    case 'always':
      return 'always';
    case 'effort':
      return r.efforts ? r.efforts.join('/') : 'effort';
    case 'none':
      return 'no';
    default:
      return '?';
  }
}

function modelStatusText(r: ModelRow): string {
  if (r.status === 'retired') return `retired ${r.retired ?? ''}`.trim();
  if (r.status === 'not_available') return 'not available to this key';
  if (r.status === 'available') return 'available';
  return '';
}
