// Request parameters that depend on the model: thinking, effort, sampling. Pure.
import { UsageError } from '../errors.js';
import { findModel, type ModelInfo } from '../models.js';

export interface ParamOptions {
  model: string;
  stream: boolean;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** `on`/`off` as the user asked; undefined = the tool's default for the model. */
  thinking?: 'on' | 'off' | undefined;
  effort?: string | undefined;
}

/** The low-latency default: no thinking where it can be turned off, the lowest effort where it cannot. */
function defaultThinking(model: ModelInfo | undefined): Pick<ParamOptions, 'thinking' | 'effort'> {
  switch (model?.thinking.kind) {
    case 'optional':
      return { thinking: 'off' };
    case 'effort':
      return { effort: 'low' };
    default:
      return {};
  }
}

/** The body fields other than messages. Refuses locally what the model is known to reject. */
export function requestParams(o: ParamOptions): Record<string, unknown> {
  const model = findModel(o.model);
  const p: Record<string, unknown> = { model: o.model };
  const chosen = o.thinking === undefined && o.effort === undefined ? defaultThinking(model) : o;
  const t = model?.thinking;
  if (chosen.thinking !== undefined) {
    if (t?.kind === 'optional') p.thinking = { type: chosen.thinking === 'on' ? 'enabled' : 'disabled' };
    else if (t?.kind === 'always' || t?.kind === 'effort') {
      if (chosen.thinking === 'off') {
        throw new UsageError(`${o.model} always thinks; --thinking off is not accepted.`, 'Pick kimi-k2.6 for answers without thinking, or drop --thinking.');
      }
      if (t.kind === 'always') p.thinking = { type: 'enabled' };
    } else if (t?.kind === 'none' && chosen.thinking === 'on') {
      throw new UsageError(`${o.model} cannot think; --thinking on is not accepted.`, 'Pick a Kimi K model (see kimi-vision models).');
    } else if (!model) {
      p.thinking = { type: chosen.thinking === 'on' ? 'enabled' : 'disabled' };
    }
  }
  if (chosen.effort !== undefined) {
    if (t && t.kind !== 'effort') {
      throw new UsageError(`${o.model} does not take --effort.`, 'Efforts apply to kimi-k3 and kimi-k3.1 models; use --thinking on|off here.');
    }
    if (t?.kind === 'effort' && !t.efforts.includes(chosen.effort)) {
      throw new UsageError(`${o.model} takes --effort ${t.efforts.join('|')}, not ${chosen.effort}.`);
    }
    p.reasoning_effort = chosen.effort;
  }
  if (o.temperature !== undefined) {
    const pinned = pinnedTemperature(model, p);
    if (pinned !== undefined && pinned !== o.temperature) {
      throw new UsageError(`${o.model} only accepts temperature ${pinned} here, not ${o.temperature}.`, 'Drop --temperature: the model sets it.');
    }
    if (o.temperature < 0 || o.temperature > 1) throw new UsageError(`--temperature must be between 0 and 1, not ${o.temperature}.`);
    p.temperature = o.temperature;
  }
  // `max_tokens` is deprecated (and, one provider says, no longer honoured by the newest models).
  if (o.maxTokens !== undefined) p.max_completion_tokens = o.maxTokens;
  p.stream = o.stream;
  if (o.stream) p.stream_options = { include_usage: true };
  return p;
}

/** The one temperature a model accepts in the thinking state these params select, if pinned. */
function pinnedTemperature(model: ModelInfo | undefined, p: Record<string, unknown>): number | undefined {
  if (!model?.pinnedTemperature) return undefined;
  const type = (p.thinking as { type?: string } | undefined)?.type;
  const thinking = model.thinking.kind === 'optional' ? (type ?? model.thinking.default) === 'enabled' : model.thinking.kind !== 'none';
  return thinking ? model.pinnedTemperature.thinking : model.pinnedTemperature.nonThinking;
}
