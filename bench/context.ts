// What every bench case receives from bench/run.ts.
import type { Emulator } from '../test/emulator/types.js';
import type { RssMethod } from './measure.js';

export interface BenchContext {
  quick: boolean;
  /** Repetitions of each measured run (5, or 2 with --quick). */
  runs: number;
  rss: RssMethod;
  /** The emulator, in this process; cases set and reset its options. */
  emu: Emulator;
  /** Progress on stderr. */
  log: (line: string) => void;
}

export const API_KEY = 'sk-bench-0000';

/** The child environment a CLI run needs against the emulator. */
export function apiEnv(ctx: BenchContext): Record<string, string> {
  return { MOONSHOT_API_KEY: API_KEY, MOONSHOT_BASE_URL: ctx.emu.baseUrl };
}
