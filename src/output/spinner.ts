// A one-line spinner on stderr, redrawn in place every 80 ms.
//
// Its line never wraps: the text is cut to the terminal's width at every frame, so erasing it is
// always "back to column 0, erase the line". When the width changed since the last frame, the old
// line may now take several rows (terminals that reflow, as most do and tmux does, re-wrap it, the
// cursor on its last row): those rows are erased too before the next frame.
//
// (Written here rather than taken from ora: ora hooks process.stdout and process.stderr, draws
// frames after a partial line, colours with a chalk of its own that looks at stdout, miscounts
// wrapped lines after a resize, and takes ~50-90 ms to load before the request could go out.)
import type { Output } from '../io.js';
import { cutToWidth, displayWidth } from './width.js';

export const BRAILLE_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
/** For the Linux console, whose fonts lack braille. */
export const ASCII_FRAMES = ['-', '\\', '|', '/'] as const;

const INTERVAL_MS = 80;
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const ERASE_LINE = '\r\u001b[K';
const UP_AND_ERASE = '\u001b[1A\u001b[K';

export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private text = '';
  private held = false;
  /** Columns the line on screen takes (0: nothing drawn), and the terminal's width when drawn. */
  private drawnWidth = 0;
  private drawnColumns = 0;
  private readonly restoreCursor = () => this.out.write(SHOW_CURSOR);

  /** `text` given to it is already neutralised; `style` colours a frame. */
  constructor(
    private readonly out: Output,
    private readonly style: (frame: string) => string,
    private readonly frames: readonly string[] = BRAILLE_FRAMES,
  ) {}

  start(text: string): void {
    if (this.timer) {
      this.update(text);
      return;
    }
    this.text = text;
    this.out.write(HIDE_CURSOR);
    process.once('exit', this.restoreCursor); // a run that ends mid-spin must not leave the cursor hidden
    this.timer = setInterval(() => this.render(), INTERVAL_MS);
    this.timer.unref();
    this.render();
  }

  /** The new text shows with the next frame. */
  update(text: string): void {
    this.text = text;
  }

  /** Draws the next frame (unless held or stopped). */
  render(): void {
    if (!this.timer || this.held) return;
    const columns = this.out.columns ?? 0;
    const frame = this.frames[this.frame++ % this.frames.length] as string;
    // frame, space, text, and one column spare so the cursor never waits at the right margin
    const text = cutToWidth(this.text, columns - 3);
    const line = text ? `${this.style(frame)} ${text}` : this.style(frame);
    this.out.write(this.erasing(columns) + line);
    this.drawnWidth = displayWidth(frame) + (text ? 1 + displayWidth(text) : 0);
    this.drawnColumns = columns;
  }

  /** Erases the line; the next frame draws it again. */
  clear(): void {
    if (!this.timer || this.drawnWidth === 0) return;
    this.out.write(this.erasing(this.out.columns ?? 0));
    this.drawnWidth = 0;
  }

  /** Erases the line and draws nothing until `release`. */
  hold(): void {
    this.clear();
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.render();
  }

  stop(): void {
    if (!this.timer) return;
    this.clear();
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(SHOW_CURSOR);
    process.removeListener('exit', this.restoreCursor);
  }

  /** What erases the drawn line at the terminal's width now. */
  private erasing(columns: number): string {
    if (this.drawnWidth === 0) return ERASE_LINE;
    const rows = columns > 0 && columns !== this.drawnColumns ? Math.ceil(this.drawnWidth / columns) : 1;
    return ERASE_LINE + UP_AND_ERASE.repeat(rows - 1);
  }
}
