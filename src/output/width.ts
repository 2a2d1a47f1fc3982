// How many terminal columns text takes, and text cut to fit a width. Pure.
//
// Never less than a terminal shows: a line measured here as fitting must fit, or a line redrawn in
// place (the spinner) would wrap and leave its first part behind. So the rule errs wide: East Asian
// wide characters, emoji and anything else from U+1100 up count 2, except the punctuation, symbols,
// arrows and braille of U+2000..U+2BFF and the halfwidth forms, which count 1; combining marks and
// variation selectors 0. (Control characters are neutralised before text is measured.)

function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (cp <= 0x36f || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (cp < 0x1100) return 1;
  if (cp >= 0x2000 && cp <= 0x2bff) return 1;
  if (cp >= 0xff61 && cp <= 0xffdc) return 1;
  return 2;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0) as number);
  return width;
}

/** `text` if it fits in `max` columns, else as much of it as fits followed by "…". */
export function cutToWidth(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  if (max < 1) return '';
  let out = '';
  let width = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0) as number);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}
