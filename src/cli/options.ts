// Options shared by several commands, built once here so each reads (and is checked) the same way
// everywhere: the API's base URL, the model and its parameters, the prompt, resizing, per-image
// runs, formats. A builder returns a fresh commander Option each time.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseByteSize } from '../inputs/resize-plan.js';

export const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`${name} takes a whole number of at least 1.`);
  return Number(v);
};

export const nonNegativeNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of at least 0.`);
  return n;
};

export const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} takes a number above 0.`);
  return n;
};

const byteSize = (name: string) => (v: string) => {
  const n = parseByteSize(v);
  if (n === undefined) throw new InvalidArgumentError(`${name} takes a size in bytes: a number, or with k or m (500k, 2m; k = 1,024 bytes).`);
  return n;
};

export const collect = (value: string, previous: string[]) => [...previous, value];

/** How a command's action hands its exit code to the one exit (cli/run.ts). */
export type SetExit = (code: number) => void;

/** Adds the options to the command, in order; returns it for chaining. */
export function withAll(cmd: Command, options: readonly Option[]): Command {
  for (const o of options) cmd.addOption(o);
  return cmd;
}

const opt = (flags: string, description: string) => new Option(flags, description);

/** --base-url and --insecure-http: where the API is, and whether plain http may carry the key. */
export function apiOptions(): Option[] {
  return [
    opt('--base-url <url>', 'API base URL [MOONSHOT_BASE_URL] (default https://api.moonshot.cn/v1)'),
    opt('--insecure-http', 'allow a plain-http base URL that is not loopback (sends the key in clear)'),
  ];
}

/** --timeout and --max-attempts. */
export function networkOptions(): Option[] {
  return [
    opt('--timeout <seconds>', 'give up when no byte arrives for this long (default 120)').argParser(positiveInt('--timeout')),
    opt('--max-attempts <n>', 'attempts for retryable failures (default 3)').argParser(positiveInt('--max-attempts')),
  ];
}

export function modelOption(description = 'model id [KIMI_VISION_MODEL] (default kimi-k2.6, thinking off)'): Option {
  return opt('-m, --model <id>', description);
}

/** What is sent with the model: output cap, temperature, thinking, effort. */
export function paramOptions(): Option[] {
  return [
    opt('--max-tokens <n>', 'cap on output tokens (sent only when given)').argParser(positiveInt('--max-tokens')),
    opt('--temperature <t>', 'sampling temperature 0-1 (sent only when given)').argParser(nonNegativeNumber('--temperature')),
    opt('--thinking <mode>', 'thinking on|off, for models where it is optional').choices(['on', 'off']),
    opt('--effort <level>', 'reasoning effort, for models that take it').choices(['low', 'high', 'max']),
  ];
}

/** -p, --prompt-file, -s. */
export function promptOptions(prompt = 'the question (default "Describe the image." / "Describe the images.")'): Option[] {
  return [opt('-p, --prompt <text>', prompt), opt('--prompt-file <file>', 'read the prompt from a UTF-8 file'), opt('-s, --system <text>', 'a system message, sent first')];
}

export function resizeOptions(): Option[] {
  return [
    opt('--max-edge <px>', 'downscale images so the longest edge is at most px, upright (EXIF); needs the optional sharp').argParser(positiveInt('--max-edge')),
    opt('--max-bytes <n>', 're-encode images to at most n bytes each (e.g. 500k, 2m); needs the optional sharp').argParser(byteSize('--max-bytes')),
  ];
}

export function maxCostOption(what = 'send'): Option {
  return opt('--max-cost <amount>', `refuse to ${what} when the estimate is above this (platform's currency)`).argParser(nonNegativeNumber('--max-cost'));
}

export function quietOption(description = 'no spinner, estimate or usage lines (errors still go to stderr)'): Option {
  return opt('-q, --quiet', description);
}

export function formatOption(choices: string[], description = 'output format', fallback?: string): Option {
  const o = opt('--format <format>', description).choices(choices);
  return fallback === undefined ? o : o.default(fallback);
}

/** The pace and cache of a run of one request per image: -j, --rpm, --cache, --shard. */
export const concurrencyOption = (prefix = '') => opt('-j, --concurrency <n>', `${prefix}requests in flight at most (default 4)`).argParser(positiveInt('--concurrency'));
export const rpmOption = (prefix = '') => opt('--rpm <n>', `${prefix}requests started per minute at most`).argParser(positiveInt('--rpm'));
export const cacheOption = (prefix = '', what = 'image, model, prompt and options') => opt('--cache', `${prefix}reuse answers for the same ${what} [KIMI_VISION_CACHE=1]`);
export const shardOption = (prefix = '', what = 'describe') => opt('--shard <i/n>', `${prefix}${what} only shard i of n (a stable split by path, for CI matrices)`);

/** --write and its companions for sidecars next to each image. */
export function writeOption(description: string): Option {
  return opt('--write <ext>', description).choices(['txt', 'json', 'md']);
}
