// The entry point. `--version` and `--help` are answered from dist/help.json, rendered from the same
// commander program at build time, so they load neither commander nor any command (start-up is most of
// what they cost). Everything else runs the CLI.
import { readFileSync } from 'node:fs';
import { FdWriter, OutputError } from './output/fd-writer.js';

interface HelpFile {
  version: string;
  /** Help text by command path: '' for the program, 'describe', 'config set', … */
  help: Record<string, string>;
}

function readHelpFile(): HelpFile | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as HelpFile;
  } catch {
    return undefined; // not built with help: the CLI answers itself
  }
}

/** The text for `[command…] --help` or `--version` alone, if that is all argv asks. */
export function fastAnswer(args: readonly string[], file: HelpFile | undefined): string | undefined {
  if (!file) return undefined;
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return `${file.version}\n`;
  const last = args[args.length - 1];
  if (last !== '--help' && last !== '-h') return undefined;
  return file.help[args.slice(0, -1).join(' ')];
}

function writeAnswer(text: string): void {
  const out = new FdWriter(
    1,
    () => process.stdout,
    () => process.exit(0),
  );
  out.write(text);
  // stdout on a full disk (or /dev/full): said on stderr, exit 74, as for every other run.
  if (out.failure) {
    new FdWriter(
      2,
      () => process.stderr,
      () => {},
    ).write(`error: ${new OutputError('stdout', out.failure).message}\n`);
    process.exitCode = 74;
  }
}

const args = process.argv.slice(2);
const asksHelp = ['--help', '-h', '--version', '-V'].includes(args[args.length - 1] ?? '');
const answer = asksHelp ? fastAnswer(args, readHelpFile()) : undefined; // other runs never read the file
// (Written to the descriptor: process.stdout would cost more than the rest of the run.)
if (answer !== undefined) writeAnswer(answer);
else void import('./cli/run.js').then((cli) => cli.main());
