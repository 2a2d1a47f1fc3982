// Whether stderr gets colour, decided once from the environment, and the few styles it uses.
// The spinner, every stderr line and the error reporter in cli.ts all take it from here. Pure.
//
//   NO_COLOR, any non-empty value        no colour, whatever else is set (https://no-color.org)
//   FORCE_COLOR=0 or false               no colour
//   FORCE_COLOR=1, 2, 3, true (any other non-empty value)   colour, even off a terminal
//   TERM=dumb                            no colour (unless forced)
//   otherwise                            colour when the stream is a terminal
// An empty NO_COLOR or FORCE_COLOR counts as unset.
// (Four fixed SGR pairs need no library: chalk would cost ~20 ms of a start for them.)

type Env = Record<string, string | undefined>;

export function colorEnabled(env: Env, isTTY: boolean): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = env.FORCE_COLOR ?? '';
  if (force === '0' || force === 'false') return false;
  if (force !== '') return true;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const COLORS: Palette = { red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), dim: sgr(2, 22) };
const plain = (s: string) => s;
const PLAIN: Palette = { red: plain, yellow: plain, cyan: plain, dim: plain };

export function palette(on: boolean): Palette {
  return on ? COLORS : PLAIN;
}
