// What every bench case receives from bench/run.ts.
import type { Emulator } from '../test/emulator/types.js';
import type { RemoteEmulator } from './emulator-process.js';
import type { RssMethod } from './measure.js';

export interface BenchContext {
  quick: boolean;
  /** Repetitions of each measured run (5, or 2 with --quick). */
  runs: number;
  rss: RssMethod;
  /** The emulator in this process (the wire case times its writes on the bench's clock). */
  emu: Emulator;
  /** The emulator in a process of its own: what the CLI's throughput and long runs are measured against. */
  remote: RemoteEmulator;
  /** Progress on stderr. */
  log: (line: string) => void;
}

export const API_KEY = 'sk-bench-0000';

/** The child environment a CLI run needs against an emulator (by default the one in its own process). */
export function apiEnv(ctx: BenchContext, emu: { baseUrl: string } = ctx.remote): Record<string, string> {
  return { MOONSHOT_API_KEY: API_KEY, MOONSHOT_BASE_URL: emu.baseUrl };
}
