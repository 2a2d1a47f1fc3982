// The alt command: alt text for the images of Markdown, MDX and HTML documents, as a patch, a CI
// check, or written in place.
import type { Command } from 'commander';
import type { Io } from '../../io.js';
import {
  apiOptions,
  cacheOption,
  concurrencyOption,
  formatOption,
  maxCostOption,
  modelOption,
  networkOptions,
  paramOptions,
  positiveInt,
  promptOptions,
  quietOption,
  rpmOption,
  withAll,
  type SetExit,
} from '../options.js';

export function registerAlt(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('alt')
    .description('write alt text for the images of Markdown, MDX and HTML documents: a patch on stdout (--check: list what is missing, exit 7; --write: fix the files)')
    .argument('<documents...>', 'Markdown (.md, .markdown), MDX (.mdx) or HTML (.html, .htm) files, quoted globs or folders');
  cmd
    .option('--check', 'list the images without alt text, one line each, and exit 7 when there are any (no key, nothing sent)')
    .option('--write', 'write the new alt texts into the documents (each replaced atomically, never if it changed meanwhile)')
    .option('--dry-run', 'print what would be captioned and the estimate to stdout; no key, nothing sent')
    .option('--all', 'caption every image, also those whose alt text is fine (alt="" stays: it marks a decorative image)')
    .option('--root <dir>', 'the folder a root-relative source (/img/x.png) is under (default: the current folder)')
    .option('--no-remote', 'leave http(s) images as they are instead of downloading them')
    .option('--max-chars <n>', 'the longest alt text, asked for and checked (default 125)', positiveInt('--max-chars'))
    .option('--lang <code>', 'write in this language (BCP 47: en, de, pt-BR; default: the language of the text around each image)')
    .addOption(formatOption(['jsonl', 'markdown'], 'records (jsonl) or the report for a pull request (markdown) instead of the patch or the --check lines'));
  withAll(cmd, [
    ...promptOptions('the instruction, in place of the default one (the page text, the length and the language are still given)'),
    modelOption(),
    ...apiOptions(),
    ...paramOptions(),
  ])
    .addOption(quietOption('no progress, estimate or totals lines (errors still go to stderr)'))
    .addOption(maxCostOption());
  withAll(cmd, [...networkOptions(), concurrencyOption(), rpmOption(), cacheOption('', 'image, page text, instruction, model and options')]).action(
    async (documents: string[], opts) => {
      const { altCommand } = await import('../../commands/alt.js');
      setExit(await altCommand(documents, { ...opts, stream: true }, io));
    },
  );
}
