// The terminal's decisions and drawing: colour from the environment, widths, and the spinner's line
// (one row, erased whole, also after the terminal got narrower).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { colorEnabled, palette } from '../../src/output/colors.js';
import { Spinner } from '../../src/output/spinner.js';
import { cutToWidth, displayWidth } from '../../src/output/width.js';

describe('colorEnabled', () => {
  it.each([
    // env, stream is a terminal, colour
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: 'yes' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, false, false],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '2' }, false, true],
    [{ FORCE_COLOR: '3' }, false, true],
    [{ FORCE_COLOR: 'true' }, false, true],
    [{ FORCE_COLOR: '' }, false, false],
    [{ FORCE_COLOR: '' }, true, true],
    [{ TERM: 'dumb' }, true, false],
    [{ TERM: 'dumb', FORCE_COLOR: '1' }, true, true],
    [{ TERM: 'xterm-256color' }, true, true],
  ] as const)('%o on a terminal: %s -> %s', (env, tty, on) => {
    expect(colorEnabled(env, tty)).toBe(on);
  });

  it('styles with SGR codes when on, not at all when off', () => {
    expect(palette(true).red('error:')).toBe('\u001b[31merror:\u001b[39m');
    expect(palette(true).dim('x')).toBe('\u001b[2mx\u001b[22m');
    expect(palette(false).red('error:')).toBe('error:');
  });
});

describe('displayWidth and cutToWidth', () => {
  it.each([
    ['ascii', 'kimi-k2.6 is answering…', 23],
    ['CJK is two columns each', '截图', 4],
    ['fullwidth forms', 'ＡＢ', 4],
    ['halfwidth katakana one', 'ｱｲ', 2],
    ['combining mark none', 'e\u0301', 1],
    ['emoji two', '😀', 2],
    ['braille one', '⠋', 1],
    ['money and dots', '¥0.31 · $2', 10],
  ])('%s', (_name, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it.each([
    ['fits', 'abc', 3, 'abc'],
    ['cut with an ellipsis', 'abcdef', 4, 'abc…'],
    ['a wide character is not split', '截图截图', 5, '截图…'],
    ['nothing fits', 'abc', 0, ''],
    ['only the ellipsis fits', 'abc', 1, '…'],
  ])('%s', (_name, text, max, cut) => {
    expect(cutToWidth(text, max)).toBe(cut);
    expect(displayWidth(cutToWidth(text, max))).toBeLessThanOrEqual(Math.max(0, max));
  });
});

/** A terminal's stderr as the spinner sees it: what was written, and a width that can change. */
function fakeStderr(columns: number) {
  const out = { columns, text: '', isTTY: true, write: (s: string | Uint8Array) => ((out.text += String(s)), true) };
  return out;
}

describe('Spinner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws one line cut to the width, with a column to spare, and redraws it in place', () => {
    vi.useFakeTimers();
    const err = fakeStderr(20);
    const s = new Spinner(err, (f) => `<${f}>`, ['a', 'b']);
    s.start('Sending 12 images (45.6 MB) to kimi-k3…');
    expect(err.text).toBe('\u001b[?25l\r\u001b[K<a> Sending 12 image…');
    err.text = '';
    vi.advanceTimersByTime(80);
    expect(err.text).toBe('\r\u001b[K<b> Sending 12 image…');
    s.stop();
  });

  it('erases every row of its old line after the terminal got narrower (reflowed)', () => {
    vi.useFakeTimers();
    const err = fakeStderr(80);
    const s = new Spinner(err, (f) => f, ['a']);
    s.start('x'.repeat(50)); // 52 columns on screen
    err.columns = 20; // now 3 rows: ceil(52 / 20)
    err.text = '';
    vi.advanceTimersByTime(80);
    expect(err.text).toBe(`\r\u001b[K\u001b[1A\u001b[K\u001b[1A\u001b[K${'a'} ${'x'.repeat(16)}…`);
    err.text = '';
    s.clear();
    expect(err.text).toBe('\r\u001b[K'); // the new line fits on one row
    s.stop();
  });

  it('draws nothing while held, again when released, and shows the cursor when stopped', () => {
    vi.useFakeTimers();
    const err = fakeStderr(40);
    const s = new Spinner(err, (f) => f, ['a']);
    s.start('3/40 described');
    s.hold();
    err.text = '';
    vi.advanceTimersByTime(400);
    s.clear();
    expect(err.text).toBe('');
    s.release();
    expect(err.text).toBe('\r\u001b[Ka 3/40 described');
    err.text = '';
    s.stop();
    expect(err.text).toBe('\r\u001b[K\u001b[?25h');
    err.text = '';
    vi.advanceTimersByTime(400);
    expect(err.text).toBe('');
  });
});
