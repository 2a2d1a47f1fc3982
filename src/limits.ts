// The API's hard limits that more than one layer checks.

/** Moonshot refuses request bodies (and uploads) above 100 MB. */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}
