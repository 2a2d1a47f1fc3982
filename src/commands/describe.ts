// `kimi-vision describe [inputs...]`: images -> one request -> the answer streamed to stdout.
// Also the turn of a conversation (--continue / --session), with JSON Mode, Partial Mode and tools:
// the work is the conversation workflow's (src/conversation/turn.ts). (--each is routed by the cli
// to src/commands/each.ts.)
import { refuseEachOnly, type EachFlags } from '../each/options.js';
import { runTurn, type TurnOptions } from '../conversation/turn.js';
import { withPromptFile } from '../inputs/prompt-file.js';
import type { Io } from '../io.js';

export interface DescribeOptions extends TurnOptions, EachFlags {}

export async function describeCommand(inputs: string[], options: DescribeOptions, io: Io): Promise<number> {
  const o = await withPromptFile(options, io.cwd);
  refuseEachOnly(o);
  return runTurn(inputs, o, io);
}
