// Everything that is not the answer: spinner, colours, notes, on stderr only.
// Colour and spinner only when stderr is a TTY; NO_COLOR (any non-empty value) and TERM=dumb honoured.
import type { Io } from '../io.js';
import { streamOf } from './fd-writer.js';

/** The colours stderr uses. Plain (identity) unless colour is on, so chalk loads only for a terminal. */
export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

const PLAIN: Palette = { red: (s) => s, yellow: (s) => s, dim: (s) => s };

interface Spinner {
  text(t: string): void;
  stop(): void;
  /** Erase the spinner line / draw it again, around a line printed while it spins. */
  clear(): void;
  render(): void;
}

const NO_SPINNER: Spinner = { text: () => {}, stop: () => {}, clear: () => {}, render: () => {} };

export class Terminal {
  readonly interactive: boolean;
  private spinner: Spinner = NO_SPINNER;
  private spinning = false;

  private constructor(
    private readonly io: Io,
    private readonly quiet: boolean,
    readonly color: Palette,
  ) {
    this.interactive = isInteractive(io);
  }

  /** Colour when stderr is a terminal (or FORCE_COLOR), never with NO_COLOR. */
  static async open(io: Io, quiet = false): Promise<Terminal> {
    const noColor = (io.env.NO_COLOR ?? '') !== '';
    const forced = io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0';
    if (noColor || !(isInteractive(io) || forced)) return new Terminal(io, quiet, PLAIN);
    const { Chalk } = await import('chalk');
    return new Terminal(io, quiet, new Chalk({ level: 1 }));
  }

  /** A note for people (estimate, usage): hidden by --quiet. */
  note(line: string): void {
    if (this.quiet) return;
    this.line(line);
  }

  warn(line: string): void {
    this.line(this.color.yellow(line));
  }

  error(message: string, hint?: string): void {
    this.line(`${this.color.red('error:')} ${message}`);
    if (hint) this.line(this.color.dim(hint));
  }

  /** Prints a stderr line, clearing the spinner around it. */
  line(text: string): void {
    this.spinner.clear();
    this.io.stderr.write(`${text}\n`);
    this.spinner.render();
  }

  /** Writes to stdout with the spinner line erased around it (stdout and stderr may share a terminal). */
  out(text: string): void {
    this.spinner.clear();
    this.io.stdout.write(text);
    this.spinner.render();
  }

  /** Starts (or retitles) the spinner: a TTY on stderr only, never with --quiet. ora loads lazily. */
  async startSpinner(text: string): Promise<void> {
    if (!this.interactive || this.quiet) return;
    // A terminal of unknown width (a pty nobody sized: `script`, some CI runners) reports 0 columns,
    // and a spinner cannot be laid out on it (ora would erase an endless number of lines).
    const columns = (this.io.stderr as { columns?: number }).columns ?? 0;
    if (columns <= 0) return;
    if (this.spinning) return this.spinner.text(text);
    this.spinning = true;
    const { default: ora } = await import('ora');
    if (!this.spinning) return; // stopped while ora was loading
    const s = ora({ text, stream: streamOf(this.io.stderr), discardStdin: false, isEnabled: true, color: 'cyan' }).start();
    this.spinner = {
      text: (t) => {
        s.text = t;
      },
      stop: () => s.stop(),
      clear: () => s.clear(),
      render: () => s.render(),
    };
  }

  setSpinnerText(text: string): void {
    this.spinner.text(text);
  }

  stopSpinner(): void {
    this.spinning = false;
    this.spinner.stop();
    this.spinner = NO_SPINNER;
  }
}

function isInteractive(io: Io): boolean {
  return io.stderr.isTTY === true && io.env.TERM !== 'dumb';
}
