// Offsets in a document string -> 1-based line and column as an editor shows them. Lines end at
// \n, \r\n or a lone \r (as CommonMark and editors read them); a column counts user-perceived
// characters (a tab, an emoji with its modifier, e + a combining accent: one each), and a BOM at the
// start of the file is not counted, since no editor shows it.

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];
  /** The last position asked for: a later one on the same line counts on from there (one long line of images). */
  private last = { line: 0, offset: 0, column: 0 };

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
    let column = 1;
    // Image starts (`!`, `<`) always begin a character, so counting on from an earlier one is exact.
    if (this.last.line === line && this.last.offset <= offset && this.last.offset >= from) {
      from = this.last.offset;
      column = this.last.column;
    }
    const before = this.text.slice(from, Math.max(from, offset));
    if (/^[\x20-\x7e\t]*$/.test(before))
      column += before.length; // the common case, without segmenting
    else for (const _ of graphemes.segment(before)) column++;
    this.last = { line, offset, column };
    return { line, column };
  }
}
