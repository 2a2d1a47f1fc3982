// When the key cannot use the default model, which one to use instead. Pure.
import { FALLBACK_ORDER, findModel } from '../models.js';

export interface ListedModel {
  id: string;
  supportsImages: boolean | undefined;
}

/** Reads GET /v1/models; extended fields may be absent. */
export function readModelList(body: unknown): ListedModel[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((m: unknown) => {
    const o = m as { id?: unknown; supports_image_in?: unknown } | null;
    if (!o || typeof o.id !== 'string') return [];
    return [{ id: o.id, supportsImages: typeof o.supports_image_in === 'boolean' ? o.supports_image_in : undefined }];
  });
}

/**
 * The first model of the preference list that the key has and that is not the one that failed;
 * else any listed model known (from the table or the listing) to take images.
 */
export function pickFallback(listed: readonly ListedModel[], failed: string): string | undefined {
  const ids = new Set(listed.map((m) => m.id));
  const preferred = FALLBACK_ORDER.find((id) => id !== failed && ids.has(id));
  if (preferred) return preferred;
  const takesImages = (m: ListedModel) => m.supportsImages ?? (findModel(m.id)?.images === true && !findModel(m.id)?.retired);
  return listed.find((m) => m.id !== failed && takesImages(m))?.id;
}
