// GET /v1/models merged with the model table: one row per model, for `kimi-vision models`. Pure.
import type { ListedModel } from '../api/models-list.js';
import { MODELS, findModel, priceFor, type Currency, type ModelInfo } from '../models.js';

type Thinking = 'optional' | 'always' | 'effort' | 'none';

/** A row of `kimi-vision models --format json` (snake_case, as printed). */
export interface ModelRow {
  id: string;
  /** The model describe uses when -m is not given (flag > env > config > built-in default). */
  default: boolean;
  /** Returned by GET /v1/models for this key; null with --offline. */
  listed: boolean | null;
  /** In kimi-vision's model table (prices, image-token rule). */
  in_table: boolean;
  images: boolean | null;
  video: boolean | null;
  context: number | null;
  thinking: Thinking | null;
  efforts: string[] | null;
  /** Per million tokens in the platform's currency; derived = converted from the other currency. */
  price: { currency: Currency; input: number; cached_input: number | null; output: number; derived: boolean } | null;
  /** Month the table says Moonshot retired it. */
  retired: string | null;
  /** available (listed), retired, not_available (in the table, not listed); null with --offline. */
  status: 'available' | 'retired' | 'not_available' | null;
}

export interface RowOptions {
  currency: Currency;
  defaultModel: string;
  /** Also the table's models the listing lacks. */
  all: boolean;
}

/** Listed models first (API order), then, with `all` or offline (listed undefined), the table's others. */
export function modelRows(listed: readonly ListedModel[] | undefined, o: RowOptions): ModelRow[] {
  const ids = new Set((listed ?? []).map((m) => m.id));
  const rows = (listed ?? []).map((m) => row(m.id, m, true, o));
  if (listed === undefined || o.all) {
    for (const m of MODELS) if (!ids.has(m.id)) rows.push(row(m.id, undefined, listed === undefined ? null : false, o));
  }
  return rows;
}

/** Table models, not retired, that the listing lacks: the key cannot use them. */
export function unavailableModels(listed: readonly ListedModel[]): string[] {
  const ids = new Set(listed.map((m) => m.id));
  return MODELS.filter((m) => !m.retired && !ids.has(m.id)).map((m) => m.id);
}

function row(id: string, api: ListedModel | undefined, listed: boolean | null, o: RowOptions): ModelRow {
  const table = findModel(id);
  const price = priceFor(table, o.currency);
  const thinking = apiThinking(api) ?? table?.thinking.kind ?? null;
  const retired = table?.retired ?? null;
  return {
    id,
    default: id === o.defaultModel,
    listed,
    in_table: table !== undefined,
    images: api?.images ?? table?.images ?? null,
    video: api?.video ?? table?.video ?? null,
    context: api?.context ?? table?.context ?? null,
    thinking,
    efforts: thinking === 'effort' ? (api?.efforts ?? tableEfforts(table) ?? null) : null,
    price: price ? { currency: o.currency, input: price.input, cached_input: price.cachedInput ?? null, output: price.output, derived: price.derived === true } : null,
    retired,
    status: retired ? 'retired' : listed === null ? null : listed ? 'available' : 'not_available',
  };
}

/** supports_thinking_type both/only/no (+ think_efforts), else supports_reasoning false; else unknown. */
function apiThinking(m: ListedModel | undefined): Thinking | undefined {
  if (!m) return undefined;
  if (m.thinkingType === 'both') return 'optional';
  if (m.thinkingType === 'only') return m.efforts ? 'effort' : 'always';
  if (m.thinkingType === 'no' || m.reasoning === false) return 'none';
  return undefined;
}

function tableEfforts(m: ModelInfo | undefined): string[] | undefined {
  return m?.thinking.kind === 'effort' ? [...m.thinking.efforts] : undefined;
}
