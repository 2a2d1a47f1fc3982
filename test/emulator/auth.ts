// Bearer keys: who is calling, which models they may use, what their balance is.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LIVE_MODELS, type LiveModel } from './catalog.js';
import { ApiError } from './respond.js';
import type { EmulatorOptions } from './types.js';

const DEFAULT_BALANCE = 49.58;

export interface Caller {
  key: string;
  /** The organisation and key ids error messages name (org-<32 hex>, ak-<20 chars>). */
  org: string;
  ak: string;
  balance: number;
  allowed: (model: string) => boolean;
}

function authError(): ApiError {
  return new ApiError(401, 'invalid_authentication_error', 'Invalid Authentication');
}

/** The caller of a request, or the 401 the service answers. */
export function authenticate(headers: IncomingHttpHeaders, opts: EmulatorOptions): Caller {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  const key = m?.[1];
  if (!key) throw authError();
  const policy = opts.keys ? opts.keys[key] : {};
  if (!policy) throw authError();
  const models = policy.models;
  const digest = createHash('sha256').update(key).digest('hex');
  return {
    key,
    org: `org-${digest.slice(0, 32)}`,
    ak: `ak-${BigInt(`0x${digest.slice(32, 56)}`)
      .toString(36)
      .padStart(20, '0')
      .slice(-20)}`,
    balance: policy.balance ?? opts.balance ?? DEFAULT_BALANCE,
    allowed: (model) => models === undefined || models.includes(model),
  };
}

/** The live models a caller may use, in catalogue order. */
export function modelsFor(caller: Caller): LiveModel[] {
  return LIVE_MODELS.filter((m) => caller.allowed(m.id));
}

/** The balance body of GET /v1/users/me/balance (cash first up to 3, the rest vouchers). */
export function balanceBody(balance: number): Record<string, unknown> {
  const cash = Math.min(balance, 3);
  const voucher = Math.round((balance - cash) * 100) / 100;
  return {
    code: 0,
    data: { available_balance: balance, voucher_balance: voucher, cash_balance: cash },
    scode: '0x0',
    status: true,
  };
}
