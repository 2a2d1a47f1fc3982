// When the key cannot use the default model (404), which model to use instead: the one decision that
// describe, describe --each and --exact share. A model the user chose is never swapped.
import type { MoonshotClient } from '../api/client.js';
import { readListedModels, type ListedModel } from '../api/models-list.js';
import { ApiError } from '../errors.js';
import { FALLBACK_ORDER, findModel } from '../models.js';

/**
 * The first model of the preference list that the key has and that is not the one that failed;
 * else any listed model known (from the listing or the table) to take images. Pure.
 */
export function pickFallback(listed: readonly ListedModel[], failed: string): string | undefined {
  const ids = new Set(listed.map((m) => m.id));
  const preferred = FALLBACK_ORDER.find((id) => id !== failed && ids.has(id));
  if (preferred) return preferred;
  const takesImages = (m: ListedModel) => m.images ?? (findModel(m.id)?.images === true && !findModel(m.id)?.retired);
  return listed.find((m) => m.id !== failed && takesImages(m))?.id;
}

/** Whether `err` lets the run move to another model: a 404 for a model the user did not choose. */
export function mayFallBack(err: unknown, modelChosen: boolean): boolean {
  return !modelChosen && err instanceof ApiError && err.status === 404;
}

/** The model to switch to after `err` for `failed`, asking GET /v1/models; undefined when none. */
async function findFallback(err: unknown, modelChosen: boolean, client: Pick<MoonshotClient, 'getJson'>, failed: string): Promise<string | undefined> {
  return mayFallBack(err, modelChosen) ? listedFallback(client, failed) : undefined;
}

/** pickFallback over what GET /v1/models lists for this key (nothing when the listing fails). */
export async function listedFallback(client: Pick<MoonshotClient, 'getJson'>, failed: string): Promise<string | undefined> {
  const listed = readListedModels(await client.getJson('/models').catch(() => undefined)) ?? [];
  return pickFallback(listed, failed);
}

/**
 * Runs `attempt` with `model`; when the key cannot use it (and the user did not choose it), once more
 * with the model findFallback picks, after `onSwitch` (which says so). Other errors go through.
 */
export async function withFallback<T>(
  model: string,
  o: {
    modelChosen: boolean;
    client: () => Pick<MoonshotClient, 'getJson'> | Promise<Pick<MoonshotClient, 'getJson'>>;
    onSwitch: (from: string, to: string) => void | Promise<void>;
  },
  attempt: (model: string) => Promise<T>,
): Promise<T> {
  try {
    return await attempt(model);
  } catch (err) {
    const next = mayFallBack(err, o.modelChosen) ? await findFallback(err, o.modelChosen, await o.client(), model) : undefined;
    if (!next) throw err;
    await o.onSwitch(model, next);
    return attempt(next);
  }
}
