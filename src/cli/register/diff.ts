// The diff command: what changed between before and after screenshots, one request per changed pair.
import { type Command, Option } from 'commander';
import type { Io } from '../../io.js';
import {
  apiOptions,
  cacheOption,
  concurrencyOption,
  formatOption,
  maxCostOption,
  modelOption,
  networkOptions,
  nonNegativeNumber,
  paramOptions,
  promptOptions,
  quietOption,
  rpmOption,
  shardOption,
  withAll,
  type SetExit,
} from '../options.js';

export function registerDiff(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('diff')
    .description('say what changed between before and after screenshots, one request per changed pair (same pairs are never sent)')
    .argument('<inputs...>', 'two images, two folders (pairs by relative path), or one Playwright test-results folder');
  withAll(cmd, [...promptOptions('added to the instruction (what to look at, what to ignore)'), modelOption(), ...apiOptions(), ...paramOptions()])
    .option('--expect <text>', 'the change that was meant: each answer says whether it happened and nothing else changed (as_expected)')
    .addOption(
      new Option('--fail-on <when>', 'exit 7 when any pair changed, when an --expect check says no, or never').choices(['changed', 'unexpected', 'never']).default('never'),
    )
    .option('--threshold <percent>', 'a pair with at most this percent of pixels changed is the same, and not sent (default 0; needs sharp)', nonNegativeNumber('--threshold'))
    .option('--describe-new', 'describe files found in one folder only (added, removed) on their own')
    .option('--dry-run', 'print what each pair would become and the estimate to stdout; no key, nothing sent')
    .addOption(quietOption('no progress, estimate or totals lines (errors still go to stderr)'))
    .addOption(formatOption(['text', 'jsonl', 'markdown'], 'output format (default: config format, else text)'))
    .addOption(maxCostOption());
  withAll(cmd, [...networkOptions(), concurrencyOption(), rpmOption(), cacheOption('', 'pair, instruction, model and options'), shardOption('', 'compare')]).action(
    async (inputs: string[], opts) => {
      const { diffCommand } = await import('../../commands/diff.js');
      setExit(await diffCommand(inputs, { ...opts, stream: true }, io));
    },
  );
}
