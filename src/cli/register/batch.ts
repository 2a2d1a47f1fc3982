// The batch commands: submit, status, fetch (Moonshot's Batch API).
import type { Command, Option } from 'commander';
import type { Io } from '../../io.js';
import {
  apiOptions,
  formatOption,
  maxCostOption,
  modelOption,
  paramOptions,
  positiveInt,
  positiveNumber,
  promptOptions,
  quietOption,
  resizeOptions,
  shardOption,
  withAll,
  writeOption,
  type SetExit,
} from '../options.js';

export function registerBatch(program: Command, io: Io, setExit: SetExit): void {
  const batch = program.command('batch').description("very large jobs on Moonshot's Batch API: submit one request per image, then status and fetch (results within 24 h)");
  const submit = batch
    .command('submit')
    .description('upload one request per image as a batch (split into several batches above 100 MB); prints each batch id on stdout')
    .argument('[inputs...]', 'image files, quoted globs, directories, or - for stdin (default: stdin when piped)');
  withAll(submit, [
    ...promptOptions('the question for each image (default "Describe the image.")'),
    modelOption('model id [KIMI_VISION_MODEL] (default kimi-k2.6, thinking off); one model per batch'),
    apiOptions()[0] as Option,
    ...paramOptions(),
  ])
    .option('--max-chars <n>', 'ask for at most n characters; batch fetch fails a longer answer', positiveInt('--max-chars'))
    .option('--max-file-size <MB>', 'split into input files of at most this many MB (default and most: 100)', positiveNumber('--max-file-size'));
  withAll(submit, resizeOptions())
    .addOption(shardOption('', 'submit'))
    .option('--dry-run', 'print the requests, batches and estimate to stdout; no key, nothing sent')
    .addOption(formatOption(['text', 'json'], 'with --dry-run: text or json'))
    .addOption(maxCostOption('submit'))
    .addOption(quietOption('no estimate or progress lines (errors still go to stderr)'))
    .addOption(apiOptions()[1] as Option)
    .action(async (inputs: string[], opts) => {
      const { batchSubmit } = await import('../../commands/batch/submit.js');
      setExit(await batchSubmit(inputs, opts, io));
    });
  const status = batch
    .command('status')
    .description('show the status and request counts of batches')
    .argument('<ids...>', 'batch ids, as batch submit printed them')
    .addOption(formatOption(['text', 'json'], 'text, or json (the batch object, one line per id)'));
  withAll(status, apiOptions()).action(async (ids: string[], opts) => {
    const { batchStatus } = await import('../../commands/batch/status.js');
    setExit(await batchStatus(ids, opts, io));
  });
  const fetch = batch
    .command('fetch')
    .description('write the results of finished batches as describe --each does, in input order (exit 75 while not finished)')
    .argument('<ids...>', 'batch ids, as batch submit printed them (several: results in that order)')
    .addOption(formatOption(['text', 'jsonl', 'markdown'], 'output format (default: config format, else text)'))
    .addOption(writeOption('write a sidecar next to each image (shot.png -> shot.png.txt)'))
    .option('--wait', 'poll until the batches are finished instead of exiting 75')
    .option('--poll-interval <seconds>', 'with --wait: first pause between polls, growing by half up to 5 min (default 10)', positiveNumber('--poll-interval'))
    .addOption(quietOption('no progress or summary lines (errors still go to stderr)'));
  withAll(fetch, apiOptions()).action(async (ids: string[], opts) => {
    const { batchFetch } = await import('../../commands/batch/fetch.js');
    setExit(await batchFetch(ids, opts, io));
  });
}
