// File names that are not UTF-8: kept exactly (bytes -> string -> the same bytes), shown escaped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, fsPath, hasRawBytes, nameBytes, percentEncodeName, showName } from '../../src/inputs/file-name.js';

const bytes = (...b: number[]) => Buffer.from(b);

describe('decodeName / nameBytes / showName', () => {
  // [bytes on disk, what people see]
  const table: [Buffer, string][] = [
    [Buffer.from('shot.png'), 'shot.png'],
    [Buffer.from('截图 ✓.png'), '截图 ✓.png'],
    [Buffer.from('😀.png'), '😀.png'], // a surrogate pair whose low half is in U+DC80..U+DCFF: not a raw byte
    [Buffer.concat([Buffer.from('caf'), bytes(0xe9), Buffer.from('.png')]), 'caf\\xE9.png'], // Latin-1 é
    [bytes(0xff, 0xfe), '\\xFF\\xFE'],
    [bytes(0xc3), '\\xC3'], // a lead byte with nothing after it
    [bytes(0xc0, 0xaf), '\\xC0\\xAF'], // an overlong '/': never a slash
    [bytes(0xed, 0xa0, 0x80), '\\xED\\xA0\\x80'], // an encoded surrogate is not UTF-8
    [bytes(0xf4, 0x90, 0x80, 0x80), '\\xF4\\x90\\x80\\x80'], // above U+10FFFF
    [Buffer.concat([Buffer.from('é'), bytes(0xe9), Buffer.from('é')]), 'é\\xE9é'],
  ];
  it.each(table)('%o shows as %s and round-trips', (raw, shown) => {
    const name = decodeName(raw);
    expect(showName(name)).toBe(shown);
    expect(nameBytes(name).equals(raw)).toBe(true);
    expect(hasRawBytes(name)).toBe(!raw.equals(Buffer.from(raw.toString('utf8'))));
  });

  it('any bytes survive the string and come back exact; valid UTF-8 is left as Node reads it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (a) => {
        const raw = Buffer.from(a);
        const name = decodeName(raw);
        expect(Buffer.from(fsPath(name)).equals(raw)).toBe(true);
        if (raw.equals(Buffer.from(raw.toString('utf8')))) expect(name).toBe(raw.toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it('fsPath hands plain names over as strings, raw ones as their bytes', () => {
    expect(fsPath('/tmp/shot.png')).toBe('/tmp/shot.png');
    expect(fsPath(decodeName(bytes(0x61, 0xe9)))).toEqual(bytes(0x61, 0xe9));
  });

  it('percent-encodes a raw name byte for byte (a Markdown link to it still works)', () => {
    expect(percentEncodeName('a b.png')).toBe('a%20b.png');
    expect(percentEncodeName(decodeName(Buffer.concat([Buffer.from('caf'), bytes(0xe9), Buffer.from(' é.png')])))).toBe('caf%E9%20%C3%A9.png');
  });
});
