// The models the emulated service knows, modelled on kimi-api.md (independent of src/models.ts).

type Thinking =
  /** `thinking: {"type":"enabled"|"disabled"}`, default enabled; temperature 1 / 0.6. */
  | 'optional'
  /** Always thinks; only `thinking: {"type":"enabled"}` is accepted. */
  | 'always'
  /** Always thinks; `reasoning_effort` low/high/max (default max). */
  | 'effort';

export interface LiveModel {
  id: string;
  created: number;
  context: number;
  maxOutput: number;
  video: boolean;
  thinking: Thinking;
  /** Patch limit of the image preprocessor (one patch = 14x14 px). */
  patchLimit: number;
  /** json_schema response format documented. */
  jsonSchema: boolean;
  /** Style of completion ids: K2 uses 24 hex digits, K3 a UUID. */
  idStyle: 'hex' | 'uuid';
  /**
   * Whether earlier assistant turns must carry their reasoning_content (update of 2026-12-01):
   * 'always' for K3 and K2.7-code; 'preserved' only with thinking {"type":"enabled","keep":"all"}.
   */
  keepsReasoning: 'always' | 'preserved';
  /** The deprecated `max_tokens` is still honoured (K2); one provider says K3 ignores it (unconfirmed). */
  honoursMaxTokens: boolean;
  /** `tool_choice: "required"` accepted (kimi-k3 only). */
  toolChoiceRequired: boolean;
}

const K2_CONTEXT = 262_144;
const K3_CONTEXT = 1_048_576;

function k2(id: string, created: number, thinking: Thinking): LiveModel {
  return {
    id,
    created,
    context: K2_CONTEXT,
    maxOutput: 65_536,
    video: true,
    thinking,
    patchLimit: 16_384,
    jsonSchema: false,
    idStyle: 'hex',
    keepsReasoning: thinking === 'optional' ? 'preserved' : 'always',
    honoursMaxTokens: true,
    toolChoiceRequired: false,
  };
}

function k3(id: string, created: number, video: boolean, maxOutput: number): LiveModel {
  return {
    id,
    created,
    context: K3_CONTEXT,
    maxOutput,
    video,
    thinking: 'effort',
    patchLimit: 65_536,
    jsonSchema: true,
    idStyle: 'uuid',
    keepsReasoning: 'always',
    honoursMaxTokens: false,
    toolChoiceRequired: id === 'kimi-k3',
  };
}

export const LIVE_MODELS: readonly LiveModel[] = [
  k2('kimi-k2.6', 1_776_000_000, 'optional'),
  k2('kimi-k2.7-code', 1_780_000_000, 'always'),
  k2('kimi-k2.7-code-highspeed', 1_780_000_000, 'always'),
  k3('kimi-k3', 1_785_000_000, true, 131_072),
  k3('kimi-k3.1-pro', 1_790_000_000, false, 131_072),
  k3('kimi-k3.1-pro-highspeed', 1_790_000_000, false, 131_072),
];

export const EFFORTS = ['low', 'high', 'max'] as const;

/** A live model by id, or undefined for unknown and retired ids (moonshot-v1-*, kimi-k2.5). */
export function findModel(id: string): LiveModel | undefined {
  return LIVE_MODELS.find((m) => m.id === id);
}

/** The item GET /v1/models lists for a model. */
export function modelListItem(m: LiveModel, fields: 'extended' | 'minimal'): Record<string, unknown> {
  const item: Record<string, unknown> = { id: m.id, object: 'model', created: m.created, owned_by: 'moonshot' };
  if (fields === 'minimal') return item;
  item.context_length = m.context;
  item.supports_image_in = true;
  item.supports_video_in = m.video;
  item.supports_reasoning = true;
  item.supports_thinking_type = m.thinking === 'optional' ? 'both' : 'only';
  if (m.thinking === 'effort') {
    item.think_efforts = { support: true, valid_efforts: [...EFFORTS], default_effort: 'max' };
  }
  return item;
}
