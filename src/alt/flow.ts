// The inline content of one block as a single string (its lines joined by \n, without the quote
// and list prefixes before them), with the way back to offsets in the document.
import type { Seg } from './markdown-blocks.js';

export class Flow {
  readonly text: string;
  /** Where each segment starts in `text`. */
  private readonly starts: number[] = [];

  constructor(
    doc: string,
    readonly segs: readonly Seg[],
  ) {
    const parts: string[] = [];
    let at = 0;
    for (const s of segs) {
      this.starts.push(at);
      parts.push(doc.slice(s.start, s.end));
      at += s.end - s.start + 1;
    }
    this.text = parts.join('\n');
  }

  /** The document offset of index `i` of `text` (a joining \n maps to the end of its line). */
  toDoc(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    const seg = this.segs[lo];
    if (!seg) return 0;
    return Math.min(seg.start + (i - (this.starts[lo] as number)), seg.end);
  }
}
