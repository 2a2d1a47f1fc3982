// The commands that describe images: describe (and --each) and chat, with their options.
import type { Command, Option } from 'commander';
import type { Io } from '../../io.js';
import {
  apiOptions,
  cacheOption,
  collect,
  concurrencyOption,
  formatOption,
  maxCostOption,
  modelOption,
  networkOptions,
  paramOptions,
  positiveInt,
  promptOptions,
  quietOption,
  resizeOptions,
  rpmOption,
  shardOption,
  withAll,
  writeOption,
  type SetExit,
} from '../options.js';

export function registerDescribe(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('describe')
    .description('describe one or more images (or videos) in ONE request, streaming the answer to stdout (--each: one request per image)')
    .argument('[inputs...]', 'image files, quoted globs, directories, or - for stdin (default: stdin when piped)');
  withAll(cmd, [...promptOptions(), modelOption(), ...apiOptions(), ...paramOptions()])
    .option('--no-stream', 'ask for the whole answer at once instead of streaming')
    .option('--dry-run', 'print the plan and estimate to stdout; no key, nothing sent')
    .option('--exact', 'ask the API for the exact input token count (needs a key, also with --dry-run)')
    .addOption(quietOption('no spinner, estimate or usage lines (errors still go to stderr)'))
    .addOption(formatOption(['text', 'json', 'jsonl', 'markdown'], 'output format (default: config format, else text); jsonl and markdown with --each'))
    .addOption(maxCostOption());
  withAll(cmd, networkOptions())
    .option('--each', 'one request per image (same prompt and options); results in input order')
    .addOption(concurrencyOption('with --each: '))
    .addOption(rpmOption('with --each: '))
    .addOption(writeOption('with --each: write a sidecar next to each image (shot.png -> shot.png.txt)'))
    .option('--skip-existing', 'with --write: leave images that already have that sidecar alone')
    .option('--max-chars <n>', 'with --each: ask for at most n characters; a longer answer fails that image', positiveInt('--max-chars'))
    .option('--fail-fast', 'with --each: stop at the first failed image')
    .addOption(cacheOption('with --each: '))
    .addOption(shardOption('with --each: '))
    .option('--json-object', 'JSON Mode: the answer is a JSON object (checked, printed compact)')
    .option('--schema <file|json>', 'a JSON Schema the answer must satisfy (validated; one retry)')
    .option('--prefill <text>', 'Partial Mode: the answer starts with this text')
    .option('--prefill-name <name>', 'Partial Mode: the name of the assistant role')
    .option('--tools <file|json>', 'function definitions (OpenAI style); tool calls print as JSON lines')
    .option('--tool-choice <choice>', 'auto, none, required (kimi-k3), or the name of a tool to call')
    .option('--tool-result <id=json>', 'answer a tool call of the conversation (repeat for each; with --continue)', collect, [])
    .option('--show-thinking', "print a thinking model's reasoning, dimmed, on stderr")
    .option('--upload', 'upload each image once to /v1/files and send it as ms://<id> (remembered by content)');
  withAll(cmd, resizeOptions())
    .option('-c, --continue', 'continue the last conversation (resends its history)')
    .option('--session <id>', 'continue the given conversation (see kimi-vision sessions)')
    .action(async (inputs: string[], opts) => {
      if (opts.each) {
        const { eachCommand } = await import('../../commands/each.js');
        return setExit(await eachCommand(inputs, opts, io));
      }
      const { describeCommand } = await import('../../commands/describe.js');
      setExit(await describeCommand(inputs, opts, io));
    });
}

export function registerChat(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('chat')
    .description('talk about images: each line you type is a turn (/image <path>, /images, /clear, /save, /exit)')
    .argument('[inputs...]', 'image files, quoted globs or directories to start with');
  withAll(cmd, [modelOption('model id [KIMI_VISION_MODEL]'), promptOptions()[2] as Option, ...apiOptions(), ...paramOptions()])
    .option('--show-thinking', 'print reasoning, dimmed, on stderr')
    .addOption(quietOption('no spinner, estimate or usage lines'))
    .option('--upload', 'upload each image once and send it as ms://<id>')
    .option('-c, --continue', 'continue the last conversation')
    .option('--session <id>', 'continue the given conversation')
    .action(async (inputs: string[], opts) => {
      const { chatCommand } = await import('../../commands/chat.js');
      setExit(await chatCommand(inputs, { ...opts, stream: true, format: 'text' }, io));
    });
}
