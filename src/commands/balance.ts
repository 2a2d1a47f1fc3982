// `kimi-vision balance`: the account's balance; exit 6 when nothing is left to spend.
import { readBalance } from '../account/balance.js';
import { callApi } from '../client/call.js';
import { commandSettings } from '../config.js';
import { EXIT, NetworkError } from '../errors.js';
import type { Io } from '../io.js';
import type { Currency } from '../models.js';
import { formatMoney } from '../format.js';
import { formatTable } from '../output/table.js';
import { Terminal } from '../output/terminal.js';
import { apiKey } from '../settings.js';

export interface BalanceOptions {
  format: 'text' | 'json';
  baseUrl?: string;
  insecureHttp?: boolean;
}

export async function balanceCommand(o: BalanceOptions, io: Io): Promise<number> {
  const term = await Terminal.open(io);
  const { config, settings } = commandSettings(o, io.env, (l) => term.warn(l));
  const key = apiKey(io.env, config);
  const body = await callApi(settings.baseUrl, key, io, term, 'GET /users/me/balance', (c) => c.getJson('/users/me/balance'));
  const balance = readBalance(body);
  if (!balance) {
    throw new NetworkError(
      'bad_response',
      `${new URL(settings.baseUrl).host} answered GET /users/me/balance without a balance.`,
      'Check --base-url: it should end in /v1 of a Moonshot-compatible API.',
    );
  }
  const currency = settings.currency;
  if (o.format === 'json') {
    io.stdout.write(`${JSON.stringify({ ...balance, currency })}\n`);
  } else {
    io.stdout.write(
      formatTable(
        [
          ['available', money(balance.available_balance, currency)],
          ['voucher', money(balance.voucher_balance, currency)],
          ['cash', money(balance.cash_balance, currency)],
        ],
        [1],
      ),
    );
  }
  if (balance.available_balance <= 0) {
    term.warn(
      `warning: the available balance is ${money(balance.available_balance, currency)}: Moonshot refuses requests until the account is topped up (platform console → billing).`,
    );
    return EXIT.money;
  }
  return EXIT.ok;
}

function money(amount: number, currency: Currency): string {
  const abs = formatMoney({ amount: Math.abs(amount), currency });
  return amount < 0 ? `-${abs}` : abs;
}
