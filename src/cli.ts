// The commander program: parses argv, lazy-loads the command it runs, and maps every error to an
// exit code. The ONLY place that touches process.exit.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, KvError } from './errors.js';
import type { Io } from './io.js';
import { parseByteSize } from './inputs/resize-plan.js';
import { colorEnabled, palette } from './output/colors.js';
import { FdWriter } from './output/fd-writer.js';
import { neutralize } from './output/sanitize.js';
import { Stdout } from './output/stdout.js';

/** Set in dist/ by scripts/build.mjs, so a run reads no package.json. */
declare const KV_VERSION: string | undefined;

function version(): string {
  if (typeof KV_VERSION === 'string') return KV_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`${name} takes a whole number of at least 1.`);
  return Number(v);
};
const nonNegativeNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of at least 0.`);
  return n;
};

const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} takes a number above 0.`);
  return n;
};

const collect = (value: string, previous: string[]) => [...previous, value];
const byteSize = (name: string) => (v: string) => {
  const n = parseByteSize(v);
  if (n === undefined) throw new InvalidArgumentError(`${name} takes a size in bytes: a number, or with k or m (500k, 2m; k = 1,024 bytes).`);
  return n;
};

/** Each command as it registers itself on the program. */
const COMMANDS: Record<string, (program: Command, io: Io, setExit: (code: number) => void) => void> = {
  describe: (program, io, setExit) => {
    program
      .command('describe')
      .description('describe one or more images (or videos) in ONE request, streaming the answer to stdout (--each: one request per image)')
      .argument('[inputs...]', 'image files, quoted globs, directories, or - for stdin (default: stdin when piped)')
      .option('-p, --prompt <text>', 'the question (default "Describe the image." / "Describe the images.")')
      .option('--prompt-file <file>', 'read the prompt from a UTF-8 file')
      .option('-s, --system <text>', 'a system message, sent first')
      .option('-m, --model <id>', 'model id [KIMI_VISION_MODEL] (default kimi-k2.6, thinking off)')
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--max-tokens <n>', 'cap on output tokens (sent only when given)', positiveInt('--max-tokens'))
      .option('--temperature <t>', 'sampling temperature 0-1 (sent only when given)', nonNegativeNumber('--temperature'))
      .addOption(new Option('--thinking <mode>', 'thinking on|off, for models where it is optional').choices(['on', 'off']))
      .addOption(new Option('--effort <level>', 'reasoning effort, for models that take it').choices(['low', 'high', 'max']))
      .option('--no-stream', 'ask for the whole answer at once instead of streaming')
      .option('--dry-run', 'print the plan and estimate to stdout; no key, nothing sent')
      .option('--exact', 'ask the API for the exact input token count (needs a key, also with --dry-run)')
      .option('-q, --quiet', 'no spinner, estimate or usage lines (errors still go to stderr)')
      .addOption(new Option('--format <format>', 'output format (default: config format, else text); jsonl and markdown with --each').choices(['text', 'json', 'jsonl', 'markdown']))
      .option('--max-cost <amount>', "refuse to send when the estimate is above this (platform's currency)", nonNegativeNumber('--max-cost'))
      .option('--timeout <seconds>', 'give up when no byte arrives for this long (default 120)', positiveInt('--timeout'))
      .option('--max-attempts <n>', 'attempts for retryable failures (default 3)', positiveInt('--max-attempts'))
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .option('--each', 'one request per image (same prompt and options); results in input order')
      .option('-j, --concurrency <n>', 'with --each: requests in flight at most (default 4)', positiveInt('--concurrency'))
      .option('--rpm <n>', 'with --each: requests started per minute at most', positiveInt('--rpm'))
      .addOption(new Option('--write <ext>', 'with --each: write a sidecar next to each image (shot.png -> shot.png.txt)').choices(['txt', 'json', 'md']))
      .option('--skip-existing', 'with --write: leave images that already have that sidecar alone')
      .option('--max-chars <n>', 'with --each: ask for at most n characters; a longer answer fails that image', positiveInt('--max-chars'))
      .option('--fail-fast', 'with --each: stop at the first failed image')
      .option('--cache', 'with --each: reuse answers for the same image, model, prompt and options [KIMI_VISION_CACHE=1]')
      .option('--shard <i/n>', 'with --each: describe only shard i of n (a stable split by path, for CI matrices)')
      .option('--json-object', 'JSON Mode: the answer is a JSON object (checked, printed compact)')
      .option('--schema <file|json>', 'a JSON Schema the answer must satisfy (validated; one retry)')
      .option('--prefill <text>', 'Partial Mode: the answer starts with this text')
      .option('--prefill-name <name>', 'Partial Mode: the name of the assistant role')
      .option('--tools <file|json>', 'function definitions (OpenAI style); tool calls print as JSON lines')
      .option('--tool-choice <choice>', 'auto, none, required (kimi-k3), or the name of a tool to call')
      .option('--tool-result <id=json>', 'answer a tool call of the conversation (repeat for each; with --continue)', collect, [])
      .option('--show-thinking', "print a thinking model's reasoning, dimmed, on stderr")
      .option('--upload', 'upload each image once to /v1/files and send it as ms://<id> (remembered by content)')
      .option('--max-edge <px>', 'downscale images so the longest edge is at most px, upright (EXIF); needs the optional sharp', positiveInt('--max-edge'))
      .option('--max-bytes <n>', 're-encode images to at most n bytes each (e.g. 500k, 2m); needs the optional sharp', byteSize('--max-bytes'))
      .option('-c, --continue', 'continue the last conversation (resends its history)')
      .option('--session <id>', 'continue the given conversation (see kimi-vision sessions)')
      .action(async (inputs: string[], opts) => {
        if (opts.each) {
          const { eachCommand } = await import('./commands/each.js');
          return setExit(await eachCommand(inputs, opts, io));
        }
        const { describeCommand } = await import('./commands/describe.js');
        setExit(await describeCommand(inputs, opts, io));
      });
  },
  chat: (program, io, setExit) => {
    program
      .command('chat')
      .description('talk about images: each line you type is a turn (/image <path>, /save, /exit)')
      .argument('[inputs...]', 'image files, quoted globs or directories to start with')
      .option('-m, --model <id>', 'model id [KIMI_VISION_MODEL]')
      .option('-s, --system <text>', 'a system message, sent first')
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL]')
      .option('--max-tokens <n>', 'cap on output tokens per answer', positiveInt('--max-tokens'))
      .addOption(new Option('--thinking <mode>', 'thinking on|off').choices(['on', 'off']))
      .addOption(new Option('--effort <level>', 'reasoning effort').choices(['low', 'high', 'max']))
      .option('--show-thinking', 'print reasoning, dimmed, on stderr')
      .option('-q, --quiet', 'no spinner, estimate or usage lines')
      .option('--upload', 'upload each image once and send it as ms://<id>')
      .option('-c, --continue', 'continue the last conversation')
      .option('--session <id>', 'continue the given conversation')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback')
      .action(async (inputs: string[], opts) => {
        const { chatCommand } = await import('./commands/chat.js');
        setExit(await chatCommand(inputs, { ...opts, stream: true, format: 'text' }, io));
      });
  },
  sessions: (program, io, setExit) => {
    program
      .command('sessions')
      .description('list saved conversations, newest first')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (opts) => {
        const { sessionsCommand } = await import('./commands/sessions.js');
        setExit(await sessionsCommand(opts, io));
      });
  },
  models: (program, io, setExit) => {
    program
      .command('models')
      .description('list the models your key can use, with images/video, context, thinking and prices')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--all', "also list the model table's models the key does not have")
      .option('--offline', "print kimi-vision's model table only; no key, nothing sent")
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .action(async (opts) => {
        const { modelsCommand } = await import('./commands/models.js');
        setExit(await modelsCommand(opts, io));
      });
  },
  balance: (program, io, setExit) => {
    program
      .command('balance')
      .description('show the account balance (exit 6 when nothing is left to spend)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .action(async (opts) => {
        const { balanceCommand } = await import('./commands/balance.js');
        setExit(await balanceCommand(opts, io));
      });
  },
  config: (program, io, setExit) => {
    const config = program
      .command('config')
      .description('show or change the defaults in the config file (model, base_url, prompt, format, api_key)');
    config
      .command('set')
      .description('set a default; api_key is read from stdin (or typed hidden), never from the command line')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .argument('[value]', 'the value (api_key: - or nothing, and the key on stdin)')
      .action(async (key: string, value: string | undefined) => {
        const { configSet } = await import('./commands/config.js');
        setExit(await configSet(key, value, io));
      });
    config
      .command('get')
      .description('print a value of the config file (api_key: only whether it is set)')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .action(async (key: string) => {
        const { configGet } = await import('./commands/config.js');
        setExit(await configGet(key, io));
      });
    config
      .command('list')
      .description('every setting as commands see it (env > config file > default), and where it comes from')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (opts) => {
        const { configList } = await import('./commands/config.js');
        setExit(await configList(opts, io));
      });
    config
      .command('unset')
      .description('remove a value from the config file')
      .argument('<key>', 'model, base_url, prompt, format or api_key')
      .action(async (key: string) => {
        const { configUnset } = await import('./commands/config.js');
        setExit(await configUnset(key, io));
      });
    config
      .command('path')
      .description('print where the config file is (or would be)')
      .action(async () => {
        const { configPathCommand } = await import('./commands/config.js');
        setExit(await configPathCommand(io));
      });
  },
  batch: (program, io, setExit) => {
    const batch = program
      .command('batch')
      .description("very large jobs on Moonshot's Batch API: submit one request per image, then status and fetch (results within 24 h)");
    batch
      .command('submit')
      .description('upload one request per image as a batch (split into several batches above 100 MB); prints each batch id on stdout')
      .argument('[inputs...]', 'image files, quoted globs, directories, or - for stdin (default: stdin when piped)')
      .option('-p, --prompt <text>', 'the question for each image (default "Describe the image.")')
      .option('--prompt-file <file>', 'read the prompt from a UTF-8 file')
      .option('-s, --system <text>', 'a system message, sent first')
      .option('-m, --model <id>', 'model id [KIMI_VISION_MODEL] (default kimi-k2.6, thinking off); one model per batch')
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--max-tokens <n>', 'cap on output tokens (sent only when given)', positiveInt('--max-tokens'))
      .option('--temperature <t>', 'sampling temperature 0-1 (sent only when given)', nonNegativeNumber('--temperature'))
      .addOption(new Option('--thinking <mode>', 'thinking on|off, for models where it is optional').choices(['on', 'off']))
      .addOption(new Option('--effort <level>', 'reasoning effort, for models that take it').choices(['low', 'high', 'max']))
      .option('--max-chars <n>', 'ask for at most n characters; batch fetch fails a longer answer', positiveInt('--max-chars'))
      .option('--max-file-size <MB>', 'split into input files of at most this many MB (default and most: 100)', positiveNumber('--max-file-size'))
      .option('--max-edge <px>', 'downscale images so the longest edge is at most px, upright (EXIF); needs the optional sharp', positiveInt('--max-edge'))
      .option('--max-bytes <n>', 're-encode images to at most n bytes each (e.g. 500k, 2m); needs the optional sharp', byteSize('--max-bytes'))
      .option('--shard <i/n>', 'submit only shard i of n (a stable split by path, for CI matrices)')
      .option('--dry-run', 'print the requests, batches and estimate to stdout; no key, nothing sent')
      .addOption(new Option('--format <format>', 'with --dry-run: text or json').choices(['text', 'json']))
      .option('--max-cost <amount>', "refuse to submit when the estimate is above this (platform's currency)", nonNegativeNumber('--max-cost'))
      .option('-q, --quiet', 'no estimate or progress lines (errors still go to stderr)')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .action(async (inputs: string[], opts) => {
        const { batchSubmit } = await import('./commands/batch/submit.js');
        setExit(await batchSubmit(inputs, opts, io));
      });
    batch
      .command('status')
      .description('show the status and request counts of batches')
      .argument('<ids...>', 'batch ids, as batch submit printed them')
      .addOption(new Option('--format <format>', 'text, or json (the batch object, one line per id)').choices(['text', 'json']))
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .action(async (ids: string[], opts) => {
        const { batchStatus } = await import('./commands/batch/status.js');
        setExit(await batchStatus(ids, opts, io));
      });
    batch
      .command('fetch')
      .description('write the results of finished batches as describe --each does, in input order (exit 75 while not finished)')
      .argument('<ids...>', 'batch ids, as batch submit printed them (several: results in that order)')
      .addOption(new Option('--format <format>', 'output format (default: config format, else text)').choices(['text', 'jsonl', 'markdown']))
      .addOption(new Option('--write <ext>', 'write a sidecar next to each image (shot.png -> shot.png.txt)').choices(['txt', 'json', 'md']))
      .option('--wait', 'poll until the batches are finished instead of exiting 75')
      .option('--poll-interval <seconds>', `with --wait: first pause between polls, growing by half up to 5 min (default 10)`, positiveNumber('--poll-interval'))
      .option('-q, --quiet', 'no progress or summary lines (errors still go to stderr)')
      .option('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)')
      .option('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)')
      .action(async (ids: string[], opts) => {
        const { batchFetch } = await import('./commands/batch/fetch.js');
        setExit(await batchFetch(ids, opts, io));
      });
  },
};

/**
 * The program, with every command, or only the one `argv` runs when its first word names one: a run
 * builds the options of one command, not of all (100-odd commander options, a few ms of each start).
 * Anything else (no command, a typo commander suggests a fix for, `help`) gets them all.
 */
export function buildProgram(io: Io, setExit: (code: number) => void, argv?: readonly string[]): Command {
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

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function run(argv: string[], given: Io): Promise<number> {
  const io = withStdout(given);
  let code: number = EXIT.ok;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, io);
  }
}

/**
 * The io commands get: stdout wrapped once (output/stdout.ts: neutralised on a terminal, and the
 * spinner cleared before anything reaches it). Its other properties are kept as they are, getters
 * included (main's stdin is made on first use).
 */
function withStdout(io: Io): Io {
  if (io.stdout instanceof Stdout) return io;
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(io)) as Io;
  copy.stdout = new Stdout(io.stdout);
  return copy;
}

/** Prints an error (neutralised: its message may come from a server or name a file) and gives its exit code. */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version end here too.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const color = palette(colorEnabled(io.env, io.stderr.isTTY === true));
  const red = color.red;
  const dim = (s: string) => color.dim(neutralize(s));
  if (err instanceof KvError) {
    if (err.exitCode === EXIT.interrupted || err.exitCode === EXIT.terminated) {
      io.stderr.write(`${dim('interrupted')}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${red('error:')} ${neutralize(err.message)}\n`);
    if (err.hint) io.stderr.write(`${dim(err.hint)}\n`);
    return err.exitCode;
  }
  io.stderr.write(`${red('internal error:')} ${neutralize((err as Error)?.message ?? String(err))}\n`);
  io.stderr.write(`${dim('This is a bug in kimi-vision; please report it with the command you ran (KIMI_VISION_DEBUG=1 shows more).')}\n`);
  if (io.env.KIMI_VISION_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${dim(err.stack)}\n`);
  return EXIT.internal;
}

/** The process entry: wires real stdio and signals, then exits with the code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // `kimi-vision … | head -1`: the reader left; stop quietly.
  const readerGone = () => {
    controller.abort('EPIPE');
    process.exit(EXIT.ok);
  };
  const stdout = new FdWriter(
    1,
    () =>
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') readerGone();
      }),
    readerGone,
  );
  // Nobody is left to tell when stderr's reader is gone: the run goes on.
  const stderr = new FdWriter(2, () => process.stderr, () => {});
  const io: Io = {
    // Written without Node's streams until one is needed (output/fd-writer.ts): ~8 ms of a start.
    stdout,
    stderr,
    // Made on first use: Node builds the stream (and loads its module) when process.stdin is read,
    // a few milliseconds that only the commands reading stdin should pay.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    monotonicMs: () => performance.now(),
    epochMs: () => Date.now(),
    signal: controller.signal,
  };
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    controller.abort(signal);
    // Whatever is stuck (a read from a terminal, say) must not keep the user waiting.
    setTimeout(() => process.exit(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted), 2000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const code = await run(process.argv.slice(2), io);
  // Exit only once stdout is flushed: a large answer into a pipe must not be cut short.
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  process.exit(code);
}
