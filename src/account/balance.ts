// GET /v1/users/me/balance read into numbers. Pure.

export interface Balance {
  available_balance: number;
  voucher_balance: number;
  cash_balance: number;
}

/** The `data` object of the balance body, or undefined when it is not one. */
export function readBalance(body: unknown): Balance | undefined {
  const data = (body as { data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object') return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
  const available = num(data.available_balance);
  if (available === undefined) return undefined;
  return { available_balance: available, voucher_balance: num(data.voucher_balance) ?? 0, cash_balance: num(data.cash_balance) ?? 0 };
}
