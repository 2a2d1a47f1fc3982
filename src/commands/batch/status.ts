// `kimi-vision batch status <ids...>`: each batch's status and request counts (or, with --format
// json, the batch object as the API returns it, one line per id).
import { getBatch } from '../../batch/fetched.js';
import { batchStatusText, readBatch } from '../../batch/status.js';
import { terminalClient } from '../../client/terminal-client.js';
import { commandSettings } from '../../config.js';
import { EXIT } from '../../errors.js';
import type { Io } from '../../io.js';
import { Terminal } from '../../output/terminal.js';
import { apiKey } from '../../settings.js';

export interface BatchStatusOptions {
  baseUrl?: string;
  insecureHttp?: boolean;
  quiet?: boolean;
  format?: 'text' | 'json';
}

export async function batchStatus(ids: string[], o: BatchStatusOptions, io: Io): Promise<number> {
  const term = await Terminal.open(io, o.quiet);
  const { settings, config } = commandSettings(o, io.env, (line) => term.warn(line));
  const client = terminalClient(settings.baseUrl, apiKey(io.env, config), io, term);
  try {
    for (const id of ids) {
      const raw = await getBatch(client, id);
      io.stdout.write(o.format === 'json' ? `${JSON.stringify(raw)}\n` : batchStatusText(readBatch(raw, client.host)));
    }
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
