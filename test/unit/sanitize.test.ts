// Text from outside, neutralised for a terminal: control characters shown, not obeyed; the same
// result wherever a streamed piece ends; stdout byte for byte when it is not a terminal.
import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { neutralize } from '../../src/output/sanitize.js';
import { Stdout } from '../../src/output/stdout.js';

/** Text rich in control characters: every code unit up to U+00FF, and some wide ones. */
const text = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('图', '😀', '…'),
  ),
});

describe('neutralize', () => {
  it.each([
    ['plain text', 'A window with a button.', 'A window with a button.'],
    ['newline and tab pass', 'a\tb\nc\n', 'a\tb\nc\n'],
    ['unicode passes', '截图里有一个按钮 · ¥0.31 … é', '截图里有一个按钮 · ¥0.31 … é'],
    ['OSC 52 clipboard write', '\u001b]52;c;aGVsbG8=\u0007', '^[]52;c;aGVsbG8=^G'],
    ['screen clear', 'x\u001b[2Jy', 'x^[[2Jy'],
    ['title change ended by ST', '\u001b]0;pwned\u001b\\', '^[]0;pwned^[\\'],
    ['SGR colour from outside', '\u001b[31mred\u001b[0m', '^[[31mred^[[0m'],
    ['carriage return', 'safe\rEVIL', 'safe^MEVIL'],
    ['CRLF', 'line\r\n', 'line^M\n'],
    ['NUL and the first C0', '\u0000\u0001', '^@^A'],
    ['backspace, vertical tab, form feed', '\b\u000b\f', '^H^K^L'],
    ['the last C0 characters', '\u001c\u001d\u001e\u001f', '^\\^]^^^_'],
    ['DEL', 'a\u007fb', 'a^?b'],
    ['C1 CSI', '\u009b2J', '<U+009B>2J'],
    ['first and last C1', '\u0080\u009f', '<U+0080><U+009F>'],
    ['NEL (a C1 line break) is not a newline', 'a\u0085b', 'a<U+0085>b'],
    ['just after C1 passes', '\u00a0\u00ff', '\u00a0\u00ff'],
    ['empty', '', ''],
  ])('%s', (_name, input, shown) => {
    expect(neutralize(input)).toBe(shown);
  });

  it('leaves no control character other than newline and tab, for any text', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(neutralize(s)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
    );
  });

  it('gives the same text wherever the pieces of a stream end', () => {
    fc.assert(
      fc.property(text, fc.nat(), (s, cut) => {
        const at = cut % (s.length + 1);
        expect(neutralize(s.slice(0, at)) + neutralize(s.slice(at))).toBe(neutralize(s));
      }),
    );
  });
});

class Sink extends Writable {
  text = '';
  bytes: Buffer[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.bytes.push(chunk);
    cb();
  }
  get all(): Buffer {
    return Buffer.concat(this.bytes);
  }
}

describe('Stdout', () => {
  const answer = 'ok \u001b]52;c;aGVsbG8=\u0007 \u001b[2J \u009b 截图\n';

  it('neutralises what goes to a terminal, written as text or as bytes split anywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const sink = new Sink(true);
        const out = new Stdout(sink);
        const bytes = Buffer.from(answer);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...at, bytes.length]) {
          out.write(bytes.subarray(from, to));
          from = to;
        }
        expect(sink.all.toString('utf8')).toBe('ok ^[]52;c;aGVsbG8=^G ^[[2J <U+009B> 截图\n');
      }),
    );
  });

  it('keeps a character cut by a byte write whole when text follows', () => {
    const sink = new Sink(true);
    const out = new Stdout(sink);
    const bytes = Buffer.from('图');
    out.write(bytes.subarray(0, 2));
    out.write(bytes.subarray(2));
    out.write(' and \u001b[2J\n');
    expect(sink.all.toString('utf8')).toBe('图 and ^[[2J\n');
  });

  it('passes everything byte for byte to a pipe or a file', () => {
    const sink = new Sink(false);
    const out = new Stdout(sink);
    const bytes = Buffer.from([0x1b, 0x5d, 0x30, 0x3b, 0x07, 0xc2, 0x9b, 0xff, 0x0d, 0x0a]);
    out.write(answer);
    out.write(bytes);
    expect(sink.all.equals(Buffer.concat([Buffer.from(answer), bytes]))).toBe(true);
  });

  it('tells a watcher before and after each write', () => {
    const sink = new Sink(false);
    const out = new Stdout(sink);
    const seen: string[] = [];
    out.watch({ before: (c) => seen.push(`before ${String(c)} (${sink.all.length} bytes out)`), after: (c) => seen.push(`after ${String(c)} (${sink.all.length} bytes out)`) });
    out.write('{}');
    out.watch(undefined);
    out.write('\n');
    expect(seen).toEqual(['before {} (0 bytes out)', 'after {} (2 bytes out)']);
  });
});
