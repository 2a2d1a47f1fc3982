// Text from outside (the model's answer, server messages, file names) made safe to show on a
// terminal: every control character other than newline and tab is shown visibly instead of being
// obeyed, so an answer cannot clear the screen, retitle the window or write the clipboard (OSC 52).
//
// The scheme is that of `cat -v` for C0 and DEL, and of `less` for C1:
//   U+0000..U+001F  ^@ ^A … ^G (bell) … ^M (carriage return) … ^[ (escape) … ^_
//   U+007F          ^?
//   U+0080..U+009F  <U+0080> … <U+009B> (the one-character CSI) … <U+009F>
// Each character maps on its own, so text that arrives in pieces neutralises the same wherever a
// piece ends. Pure.

const CONTROL_TEST = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with its control characters (other than \n and \t) replaced by their visible forms. */
export function neutralize(text: string): string {
  return CONTROL_TEST.test(text) ? text.replace(CONTROL, visible) : text;
}

/** The visible form of one control character. */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}
