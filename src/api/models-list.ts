// GET /v1/models, read defensively: the one reader of the model listing (the `models` command and
// the fallback to another model both use it). Extended fields may be absent on some platforms. Pure.

/** What GET /v1/models says of one model; the extended fields may be absent. */
export interface ListedModel {
  id: string;
  context?: number;
  images?: boolean;
  video?: boolean;
  reasoning?: boolean;
  thinkingType?: string;
  efforts?: string[];
}

/** The items of GET /v1/models, or undefined when the body is not a model list. */
export function readListedModels(body: unknown): ListedModel[] | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.flatMap((item: unknown): ListedModel[] => {
    const o = item as Record<string, unknown> | null;
    if (!o || typeof o.id !== 'string') return [];
    const m: ListedModel = { id: o.id };
    if (typeof o.context_length === 'number' && o.context_length > 0) m.context = o.context_length;
    if (typeof o.supports_image_in === 'boolean') m.images = o.supports_image_in;
    if (typeof o.supports_video_in === 'boolean') m.video = o.supports_video_in;
    if (typeof o.supports_reasoning === 'boolean') m.reasoning = o.supports_reasoning;
    if (typeof o.supports_thinking_type === 'string') m.thinkingType = o.supports_thinking_type;
    const efforts = (o.think_efforts as { support?: unknown; valid_efforts?: unknown } | undefined)?.valid_efforts;
    if (Array.isArray(efforts) && efforts.every((e) => typeof e === 'string') && efforts.length > 0) m.efforts = efforts as string[];
    return [m];
  });
}
