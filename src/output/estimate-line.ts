// The estimate line printed before anything is sent, for one request or for one request per image.
// Pure: takes plain figures (the caller knows whether the model's price is known).
import { formatInt, formatMoney, plural } from '../format.js';
import type { Cost } from '../models.js';

export interface EstimateView {
  image_tokens: number;
  text_tokens: number;
  input_tokens: number;
  cost: Cost;
  /** The API counted input_tokens (--exact). */
  exact?: boolean | undefined;
}

export interface EstimateLineOptions {
  images: number;
  model: string;
  priced: boolean;
  /**
   * One request per image: how many of the inputs are not sent (cached, or skipped by
   * --skip-existing); `unit` names what one request is about (default "image"; diff: "pair").
   */
  perImage?: { cached: number; skipped: number; unit?: string };
}

/**
 * One request: "3 images · ~6,243 input tokens (6,219 image + 24 text) · kimi-k2.6 · est. ¥0.041 input".
 * Per image: "40 images to send (3 cached, 2 skipped) · ~52,000 input tokens (…) · kimi-k2.6 · est. ¥0.34 input",
 * or "nothing to send (3 cached)".
 */
export function estimateLine(e: EstimateView, o: EstimateLineOptions): string {
  const price = o.priced ? `est. ${formatMoney(e.cost)} input` : 'price unknown';
  const tokens = e.exact
    ? `${formatInt(e.input_tokens)} input tokens (exact)`
    : `~${formatInt(e.input_tokens)} input tokens (${formatInt(e.image_tokens)} image + ${formatInt(e.text_tokens)} text)`;
  if (!o.perImage) return `${plural(o.images, 'image')} · ${tokens} · ${o.model} · ${price}`;
  const { cached, skipped } = o.perImage;
  const aside = [cached && `${formatInt(cached)} cached`, skipped && `${formatInt(skipped)} skipped`].filter(Boolean).join(', ');
  if (o.images === 0) return `nothing to send${aside ? ` (${aside})` : ''}`;
  return `${plural(o.images, o.perImage.unit ?? 'image')} to send${aside ? ` (${aside})` : ''} · ${tokens} · ${o.model} · ${price}`;
}
