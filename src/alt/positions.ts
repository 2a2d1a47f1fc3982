// Offsets in a document string -> 1-based line and column as an editor shows them. Lines end at
// \n, \r\n or a lone \r (as CommonMark and editors read them); a column counts user-perceived
// characters (a tab, an emoji with its modifier, e + a combining accent: one each), and a BOM at the
// start of the file is not counted, since no editor shows it.

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** 1-based line of an offset. */
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  position(offset: number): { line: number; column: number } {
    const line = this.line(offset);
    let from = this.starts[line - 1] as number;
    if (from === 0 && this.text.charCodeAt(0) === 0xfeff) from = 1;
    const before = this.text.slice(from, Math.max(from, offset));
    let column = 1;
    if (/^[\x20-\x7e\t]*$/.test(before)) column += before.length; // the common case, without segmenting
    else for (const _ of graphemes.segment(before)) column++;
    return { line, column };
  }
}
