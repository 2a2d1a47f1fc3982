// THE model table: every model fact kimi-vision relies on, as data, in one place.
// Sources: Moonshot's docs and changelog as collected in shared/kimi-api.md (third-party copies of
// Moonshot's pricing pages, Oct-Nov 2026). Update MODEL_TABLE_DATE when any figure changes.

export const MODEL_TABLE_DATE = '2026-12-01';

export type Currency = 'CNY' | 'USD';

/** An amount of money in a platform's currency. */
export interface Cost {
  amount: number;
  currency: Currency;
}

/** Price per million tokens. */
export interface Price {
  input: number;
  cachedInput?: number;
  output: number;
  /** True when not published for this platform: converted from the other currency at CNY_PER_USD. */
  derived?: boolean;
}

export type ImageTokenRule =
  | { kind: 'fixed'; tokens: number }
  /** 14 px patches merged 2x2 (one token per 28x28 px), downscaled to at most `patchLimit` patches
   *  and 7168 px a side, never upscaled, padded to a multiple of 28. */
  | { kind: 'patches'; patchLimit: number };

type ThinkingControl =
  /** `thinking: {"type": "enabled" | "disabled"}` accepted. */
  | { kind: 'optional'; default: 'enabled' | 'disabled' }
  /** Always thinks; `thinking` may only be {"type":"enabled"}. */
  | { kind: 'always' }
  /** Always thinks; `reasoning_effort` low/high/max, no `thinking` field. */
  | { kind: 'effort'; efforts: readonly string[]; default: string }
  | { kind: 'none' };

export interface ModelInfo {
  id: string;
  images: boolean;
  video: boolean;
  context: number;
  maxOutput?: number;
  imageTokens: ImageTokenRule;
  thinking: ThinkingControl;
  /** The only temperature the model accepts, if pinned (by thinking state where it differs). */
  pinnedTemperature?: { thinking?: number; nonThinking?: number };
  price: Partial<Record<Currency, Price>>;
  /** Month Moonshot took it offline; calls answer 404. */
  retired?: string;
  /** Marks a model whose `json_schema` response format is documented. */
  jsonSchema?: boolean;
  /**
   * Each earlier assistant turn's `reasoning_content` must be resent unchanged in the history
   * (multi-turn, tool-call loops), else 400 (the 2026-12-01 update). Models without it are sent
   * none: kimi-k2.6 keeps reasoning only with Preserved Thinking, which kimi-vision does not ask for.
   */
  resendsReasoning?: boolean;
  /** Accepts `tool_choice: "required"` (others answer 400). */
  toolChoiceRequired?: boolean;
}

/** Used only to fill a price the table lacks for one platform (marked derived). */
export const CNY_PER_USD = 6.8;

const FIXED_1024: ImageTokenRule = { kind: 'fixed', tokens: 1024 };
const K2_PATCHES: ImageTokenRule = { kind: 'patches', patchLimit: 16384 };
const K3_PATCHES: ImageTokenRule = { kind: 'patches', patchLimit: 65536 };
const EFFORTS = ['low', 'high', 'max'] as const;

export const MODELS: readonly ModelInfo[] = [
  {
    id: 'kimi-k2.6',
    images: true,
    video: true,
    context: 262144,
    imageTokens: K2_PATCHES,
    thinking: { kind: 'optional', default: 'enabled' },
    pinnedTemperature: { thinking: 1.0, nonThinking: 0.6 },
    price: { USD: { input: 0.95, cachedInput: 0.16, output: 4.0 }, CNY: { input: 6.5, output: 27 } },
  },
  {
    id: 'kimi-k2.7-code',
    images: true,
    video: true,
    context: 262144,
    imageTokens: K2_PATCHES,
    thinking: { kind: 'always' },
    resendsReasoning: true,
    price: { USD: { input: 0.95, cachedInput: 0.19, output: 4.0 } },
  },
  {
    id: 'kimi-k2.7-code-highspeed',
    images: true,
    video: true,
    context: 262144,
    imageTokens: K2_PATCHES,
    thinking: { kind: 'always' },
    resendsReasoning: true,
    price: { USD: { input: 1.9, output: 8.0 } },
  },
  {
    id: 'kimi-k3',
    images: true,
    video: true,
    context: 1048576,
    maxOutput: 131072,
    imageTokens: K3_PATCHES,
    thinking: { kind: 'effort', efforts: EFFORTS, default: 'max' },
    pinnedTemperature: { thinking: 1 },
    jsonSchema: true,
    resendsReasoning: true,
    toolChoiceRequired: true,
    price: { USD: { input: 3.0, cachedInput: 0.3, output: 15.0 }, CNY: { input: 20, output: 100 } },
  },
  {
    id: 'kimi-k3.1-pro',
    images: true,
    video: false,
    context: 1048576,
    maxOutput: 131072,
    imageTokens: K3_PATCHES,
    thinking: { kind: 'effort', efforts: EFFORTS, default: 'max' },
    pinnedTemperature: { thinking: 1 },
    jsonSchema: true,
    resendsReasoning: true,
    price: { USD: { input: 2.0, cachedInput: 0.2, output: 10.0 } },
  },
  {
    id: 'kimi-k3.1-pro-highspeed',
    images: true,
    video: false,
    context: 1048576,
    maxOutput: 131072,
    imageTokens: K3_PATCHES,
    thinking: { kind: 'effort', efforts: EFFORTS, default: 'max' },
    pinnedTemperature: { thinking: 1 },
    jsonSchema: true,
    resendsReasoning: true,
    price: { USD: { input: 4.0, output: 20.0 } },
  },
  {
    id: 'kimi-k2.5',
    images: true,
    video: false,
    context: 262144,
    imageTokens: K2_PATCHES,
    thinking: { kind: 'optional', default: 'enabled' },
    retired: '2026-08',
    price: { USD: { input: 0.6, cachedInput: 0.1, output: 3.0 } },
  },
  {
    id: 'moonshot-v1-8k-vision-preview',
    images: true,
    video: false,
    context: 8192,
    imageTokens: FIXED_1024,
    thinking: { kind: 'none' },
    retired: '2026-08',
    price: { CNY: { input: 2, output: 10 } },
  },
  {
    id: 'moonshot-v1-32k-vision-preview',
    images: true,
    video: false,
    context: 32768,
    imageTokens: FIXED_1024,
    thinking: { kind: 'none' },
    retired: '2026-08',
    price: { CNY: { input: 5, output: 20 } },
  },
  {
    id: 'moonshot-v1-128k-vision-preview',
    images: true,
    video: false,
    context: 131072,
    imageTokens: FIXED_1024,
    thinking: { kind: 'none' },
    retired: '2026-08',
    price: { CNY: { input: 10, output: 30 } },
  },
];

/** The default: fast, cheap captioning without long thinking. */
export const DEFAULT_MODEL = 'kimi-k2.6';

/** When the key cannot use the default (404), try these in order, among what GET /v1/models lists. */
export const FALLBACK_ORDER: readonly string[] = ['kimi-k2.6', 'kimi-k3.1-pro', 'kimi-k3', 'kimi-k2.7-code'];

/** Unknown models: 1,024 tokens an image, no known price, no known context. */
export const UNKNOWN_IMAGE_RULE: ImageTokenRule = FIXED_1024;

export function findModel(id: string): ModelInfo | undefined {
  return MODELS.find((m) => m.id === id);
}

/** The price for a platform's currency, converting (and marking derived) when only the other is known. */
export function priceFor(model: ModelInfo | undefined, currency: Currency): Price | undefined {
  if (!model) return undefined;
  const own = model.price[currency];
  if (own) return own;
  const other = model.price[currency === 'CNY' ? 'USD' : 'CNY'];
  if (!other) return undefined;
  const f = currency === 'CNY' ? CNY_PER_USD : 1 / CNY_PER_USD;
  const round = (n: number) => Math.round(n * f * 100) / 100;
  return {
    input: round(other.input),
    ...(other.cachedInput !== undefined ? { cachedInput: round(other.cachedInput) } : {}),
    output: round(other.output),
    derived: true,
  };
}

/** The platform's currency: USD on api.moonshot.ai, CNY otherwise (KIMI_VISION_CURRENCY overrides). */
export function currencyFor(baseUrl: string, override?: string): Currency {
  if (override === 'USD' || override === 'CNY') return override;
  try {
    return new URL(baseUrl).hostname.endsWith('moonshot.ai') ? 'USD' : 'CNY';
  } catch {
    return 'CNY';
  }
}
