// Everything that is not the answer: spinner, colours, notes, on stderr only.
//
// Every line goes out through `write` below, neutralised first and styled after (sanitize.ts): text
// from outside (server messages, file names, model ids from the API) never reaches stderr with its
// control characters, on a terminal or off one, while our own colours still work. Colour follows one
// decision (colors.ts); the spinner needs a terminal on stderr of known width, never with --quiet
// or TERM=dumb, and gets out of the way of stdout (stdout.ts).
import type { Io } from '../io.js';
import { colorEnabled, palette, type Palette } from './colors.js';
import { neutralize } from './sanitize.js';
import { ASCII_FRAMES, BRAILLE_FRAMES, Spinner } from './spinner.js';
import { endsLine, Stdout, type StdoutWatcher } from './stdout.js';

/** How a line may be styled: callers name a style, and the text is neutralised before it is applied. */
export type Style = 'dim';

export class Terminal {
  readonly interactive: boolean;
  private spinner: Spinner | undefined;
  private watcher: StdoutWatcher | undefined;

  private constructor(
    private readonly io: Io,
    private readonly quiet: boolean,
    private readonly color: Palette,
  ) {
    this.interactive = isInteractive(io);
  }

  static async open(io: Io, quiet = false): Promise<Terminal> {
    return new Terminal(io, quiet, palette(colorEnabled(io.env, io.stderr.isTTY === true)));
  }

  /** A note for people (estimate, usage): hidden by --quiet. */
  note(line: string, style?: Style): void {
    if (this.quiet) return;
    this.line(line, style);
  }

  warn(line: string): void {
    this.write(`${this.color.yellow(neutralize(line))}\n`);
  }

  error(message: string, hint?: string): void {
    this.write(`${this.color.red('error:')} ${neutralize(message)}\n${hint ? `${this.color.dim(neutralize(hint))}\n` : ''}`);
  }

  /** Prints a stderr line, clearing the spinner around it. */
  line(text: string, style?: Style): void {
    const safe = neutralize(text);
    this.write(`${style === 'dim' ? this.color.dim(safe) : safe}\n`);
  }

  /** A piece of a thinking model's reasoning, dimmed, as it streams (no spinner runs meanwhile). */
  reasoning(text: string): void {
    this.io.stderr.write(this.color.dim(neutralize(text)));
  }

  /** Writes to stdout (the spinner steps aside by itself: see watchStdout). */
  /** `flushed` is called once stdout has taken the text (a slow reader holds it back). */
  out(text: string, flushed?: () => void): void {
    if (flushed) this.io.stdout.write(text, flushed);
    else this.io.stdout.write(text);
  }

  /**
   * Starts (or retitles) a spinner for a wait: it stops for good as soon as anything is written to
   * stdout, since the answer is what it was waiting for.
   */
  async startSpinner(text: string): Promise<void> {
    this.spin(text, false);
  }

  /** Starts (or retitles) a progress line that stays below what is written to stdout (--each). */
  async startProgress(text: string): Promise<void> {
    this.spin(text, true);
  }

  setSpinnerText(text: string): void {
    this.spinner?.update(neutralize(text));
  }

  stopSpinner(): void {
    this.spinner?.stop();
    this.spinner = undefined;
    if (this.io.stdout instanceof Stdout && this.io.stdout.watching === this.watcher) this.io.stdout.watch(undefined);
    this.watcher = undefined;
  }

  private spin(text: string, progress: boolean): void {
    if (!this.interactive || this.quiet) return;
    if (this.spinner) {
      this.setSpinnerText(text);
      return;
    }
    // A terminal of unknown width (a pty nobody sized: `script`, some CI runners) reports 0 columns,
    // and no line can be fitted to it.
    if ((this.io.stderr.columns ?? 0) <= 0) return;
    this.spinner = new Spinner(this.io.stderr, this.color.cyan, this.io.env.TERM === 'linux' ? ASCII_FRAMES : BRAILLE_FRAMES);
    this.watchStdout(progress);
    this.spinner.start(neutralize(text));
  }

  /** Before anything reaches stdout the spinner's line is erased: stdout and stderr share the screen. */
  private watchStdout(progress: boolean): void {
    if (!(this.io.stdout instanceof Stdout)) return;
    this.watcher = progress
      ? {
          before: () => this.spinner?.hold(),
          // drawn again below a finished line; after a partial one, not until a line is finished
          after: (chunk) => {
            if (endsLine(chunk)) this.spinner?.release();
          },
        }
      : { before: () => this.stopSpinner(), after: () => {} };
    this.io.stdout.watch(this.watcher);
  }

  private write(lines: string): void {
    this.spinner?.clear();
    this.io.stderr.write(lines);
    this.spinner?.render();
  }
}

function isInteractive(io: Io): boolean {
  return io.stderr.isTTY === true && io.env.TERM !== 'dumb';
}
