// The commander program: every command with its options (shared ones from options.ts), each
// lazy-loading the module that runs it. A run builds only the command argv names.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Io } from '../io.js';
import { neutralize } from '../output/sanitize.js';
import {
  apiOptions,
  collect,
  formatOption,
  maxCostOption,
  modelOption,
  networkOptions,
  paramOptions,
  cacheOption,
  concurrencyOption,
  rpmOption,
  shardOption,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  promptOptions,
  quietOption,
  resizeOptions,
  writeOption,
} from './options.js';

/** Set in dist/ by scripts/build.mjs, so a run reads no package.json. */
declare const KV_VERSION: string | undefined;

function version(): string {
  if (typeof KV_VERSION === 'string') return KV_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type SetExit = (code: number) => void;
type Register = (program: Command, io: Io, setExit: SetExit) => void;

const withAll = (cmd: Command, options: Option[]) => {
  for (const o of options) cmd.addOption(o);
  return cmd;
};

/** Each command as it registers itself on the program. */
const COMMANDS: Record<string, Register> = {
  describe: (program, io, setExit) => {
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
          const { eachCommand } = await import('../commands/each.js');
          return setExit(await eachCommand(inputs, opts, io));
        }
        const { describeCommand } = await import('../commands/describe.js');
        setExit(await describeCommand(inputs, opts, io));
      });
  },
  diff: (program, io, setExit) => {
    const cmd = program
      .command('diff')
      .description('say what changed between before and after screenshots, one request per changed pair (same pairs are never sent)')
      .argument('<inputs...>', 'two images, two folders (pairs by relative path), or one Playwright test-results folder');
    withAll(cmd, [...promptOptions('added to the instruction (what to look at, what to ignore)'), modelOption(), ...apiOptions(), ...paramOptions()])
      .option('--expect <text>', 'the change that was meant: each answer says whether it happened and nothing else changed (as_expected)')
      .addOption(new Option('--fail-on <when>', 'exit 7 when any pair changed, when an --expect check says no, or never').choices(['changed', 'unexpected', 'never']).default('never'))
      .option('--threshold <percent>', 'a pair with at most this percent of pixels changed is the same, and not sent (default 0; needs sharp)', nonNegativeNumber('--threshold'))
      .option('--describe-new', 'describe files found in one folder only (added, removed) on their own')
      .option('--dry-run', 'print what each pair would become and the estimate to stdout; no key, nothing sent')
      .addOption(quietOption('no progress, estimate or totals lines (errors still go to stderr)'))
      .addOption(formatOption(['text', 'jsonl', 'markdown'], 'output format (default: config format, else text)'))
      .addOption(maxCostOption());
    withAll(cmd, [...networkOptions(), concurrencyOption(), rpmOption(), cacheOption('', 'pair, instruction, model and options'), shardOption('', 'compare')]).action(
      async (inputs: string[], opts) => {
        const { diffCommand } = await import('../commands/diff.js');
        setExit(await diffCommand(inputs, { ...opts, stream: true }, io));
      },
    );
  },
  chat: (program, io, setExit) => {
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
        const { chatCommand } = await import('../commands/chat.js');
        setExit(await chatCommand(inputs, { ...opts, stream: true, format: 'text' }, io));
      });
  },
  sessions: (program, io, setExit) => {
    program
      .command('sessions')
      .description('list saved conversations, newest first')
      .addOption(formatOption(['text', 'json'], 'output format', 'text'))
      .action(async (opts) => {
        const { sessionsCommand } = await import('../commands/sessions.js');
        setExit(await sessionsCommand(opts, io));
      });
  },
  models: (program, io, setExit) => {
    const cmd = program
      .command('models')
      .description('list the models your key can use, with images/video, context, thinking and prices')
      .addOption(formatOption(['text', 'json'], 'output format', 'text'))
      .option('--all', "also list the model table's models the key does not have")
      .option('--offline', "print kimi-vision's model table only; no key, nothing sent");
    withAll(cmd, apiOptions()).action(async (opts) => {
      const { modelsCommand } = await import('../commands/models.js');
      setExit(await modelsCommand(opts, io));
    });
  },
  balance: (program, io, setExit) => {
    const cmd = program
      .command('balance')
      .description('show the account balance (exit 6 when nothing is left to spend)')
      .addOption(formatOption(['text', 'json'], 'output format', 'text'));
    withAll(cmd, apiOptions()).action(async (opts) => {
      const { balanceCommand } = await import('../commands/balance.js');
      setExit(await balanceCommand(opts, io));
    });
  },
  config: (program, io, setExit) => {
    const config = program.command('config').description('show or change the defaults in the config file (model, base_url, prompt, format, api_key)');
    const run = (load: (c: typeof import('../commands/config.js')) => Promise<number>) => async () => setExit(await load(await import('../commands/config.js')));
    config
      .command('set')
      .description('set a default; api_key is read from stdin (or typed hidden), never from the command line')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .argument('[value]', 'the value (api_key: - or nothing, and the key on stdin)')
      .action((key: string, value: string | undefined) => run((c) => c.configSet(key, value, io))());
    config
      .command('get')
      .description('print a value of the config file (api_key: only whether it is set)')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .action((key: string) => run((c) => c.configGet(key, io))());
    config
      .command('list')
      .description('every setting as commands see it (env > config file > default), and where it comes from')
      .addOption(formatOption(['text', 'json'], 'output format', 'text'))
      .action((opts) => run((c) => c.configList(opts, io))());
    config
      .command('unset')
      .description('remove a value from the config file')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .action((key: string) => run((c) => c.configUnset(key, io))());
    config
      .command('path')
      .description('print where the config file is (or would be)')
      .action(() => run((c) => c.configPathCommand(io))());
  },
  batch: (program, io, setExit) => {
    const batch = program
      .command('batch')
      .description("very large jobs on Moonshot's Batch API: submit one request per image, then status and fetch (results within 24 h)");
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
        const { batchSubmit } = await import('../commands/batch/submit.js');
        setExit(await batchSubmit(inputs, opts, io));
      });
    const status = batch
      .command('status')
      .description('show the status and request counts of batches')
      .argument('<ids...>', 'batch ids, as batch submit printed them')
      .addOption(formatOption(['text', 'json'], 'text, or json (the batch object, one line per id)'));
    withAll(status, apiOptions()).action(async (ids: string[], opts) => {
      const { batchStatus } = await import('../commands/batch/status.js');
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
      const { batchFetch } = await import('../commands/batch/fetch.js');
      setExit(await batchFetch(ids, opts, io));
    });
  },
};

/**
 * The program, with every command, or only the one `argv` runs when its first word names one: a run
 * builds the options of one command, not of all (100-odd commander options, a few ms of each start).
 * Anything else (no command, a typo commander suggests a fix for, `help`) gets them all.
 */
export function buildProgram(io: Io, setExit: SetExit, argv?: readonly string[]): Command {
  const program = new Command('kimi-vision')
    .description("Describe images with Moonshot's Kimi vision models.")
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(neutralize(s)),
    });
  const first = argv?.[0];
  const only = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of only) COMMANDS[name]?.(program, io, setExit);
  return program;
}

/** The version and every command's help, as `--help` prints them (80 columns): dist/help.json. */
export function renderHelp(): { version: string; help: Record<string, string> } {
  const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {}, cwd: '.', monotonicMs: () => 0, epochMs: () => 0, signal: new AbortController().signal } as unknown as Io;
  const help: Record<string, string> = {};
  const walk = (cmd: Command, path: string[]) => {
    cmd.configureOutput({ getOutHelpWidth: () => 80 });
    help[path.join(' ')] = cmd.helpInformation();
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(io, () => {}), []);
  return { version: version(), help };
}
