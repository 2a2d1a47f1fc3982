// Turns what the API said into what the user should read: what happened, for which model, what to do.
import { ApiError } from '../errors.js';
import { findModel } from '../models.js';

export interface ExplainContext {
  model: string;
  attempts?: number;
}

export function explainApiError(err: ApiError, ctx: ExplainContext): ApiError {
  const said = `${err.status}${err.type ? ` ${err.type}` : ''}: ${err.message}`;
  const tried = ctx.attempts && ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : '';
  const [message, hint] = ((): [string, string] => {
    if (err.type === 'exceeded_current_quota_error') {
      return [
        `your Moonshot balance is exhausted or the account is suspended (${said}).`,
        'Top up in the platform console (kimi-vision balance shows what is left); this is not retried.',
      ];
    }
    if (err.status === 401) {
      return [
        `the API key was rejected (${said}).`,
        'Check MOONSHOT_API_KEY. Keys of platform.moonshot.cn work only with api.moonshot.cn, keys of .ai only with api.moonshot.ai (--base-url).',
      ];
    }
    if (err.status === 403) return [`this account may not use the API or ${ctx.model} (${said}).`, 'Check the account and its tier in the platform console.'];
    if (err.status === 404) {
      const retired = findModel(ctx.model)?.retired;
      return [
        `model ${ctx.model} is unavailable${retired ? ` (retired ${retired})` : ''}: not found, retired or not open to this key (${said}).`,
        'Run `kimi-vision models` to list what your key can use, then pick one with -m <id> or KIMI_VISION_MODEL.',
      ];
    }
    if (err.status === 413) return [`the request is too large for the API (${said}).`, 'Send fewer or smaller images at once; the body limit is 100 MB.'];
    if (err.status === 429) return [`rate limited by the API${tried} (${said}).`, 'Wait a little and run again, or send fewer requests at once.'];
    if (err.status >= 500) return [`Moonshot had a server error${tried} (${said}).`, 'Try again later.'];
    if (err.type === 'content_filter') return [`the request was refused by Moonshot's content filter (${said}).`, 'Change the prompt or the images.'];
    if (/token limit/i.test(err.message))
      return [
        `the request is over ${ctx.model}'s token limit (${said}).`,
        'Send fewer or smaller images, a shorter prompt, a lower --max-tokens, or pick a model with a larger context.',
      ];
    if (/image|video/i.test(err.message)) return [`the API refused an image or video (${said}).`, 'Check the inputs open in an image viewer; convert them to PNG or JPEG.'];
    return [`the API refused the request for ${ctx.model} (${said}).`, 'Check the options given; --dry-run shows what would be sent.'];
  })();
  return new ApiError({
    status: err.status,
    type: err.type,
    message,
    hint: err.requestId ? `${hint} (request id ${err.requestId})` : hint,
    requestId: err.requestId,
    retryAfterMs: err.retryAfterMs,
  });
}
