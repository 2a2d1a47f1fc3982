// The compact list of a --each run's images gives back each image as the value it was given: files
// rebuilt from its arrays, everything else as it was kept.
import { describe, expect, it } from 'vitest';
import { ImageList } from '../../src/each/image-list.js';
import type { Image } from '../../src/inputs/image.js';

const sha = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const file = (shown: string, o: Partial<Image> = {}): Image => ({
  path: shown,
  mime: 'image/png',
  kind: 'image',
  bytes: 2048,
  sha256: sha(1),
  dimensions: { width: 800, height: 600 },
  source: { kind: 'file', file: `/work/${shown}` },
  ...o,
});

const cases: Array<[string, Image]> = [
  ['a PNG file', file('a.png')],
  ['a JPEG in a folder, 9 GB', file('dir/b.jpg', { mime: 'image/jpeg', bytes: 9e9, sha256: sha(255) })],
  ['a file of unknown size', file('c.heic', { mime: 'image/heic', dimensions: undefined })],
  ['a video', file('d.mp4', { mime: 'video/mp4', kind: 'video', dimensions: undefined })],
  ['a name with spaces and unicode', file('é t/ü.webp', { mime: 'image/webp' })],
  ['a name in Chinese with an emoji', file('截图/屏幕 🙂.png', { source: { kind: 'file', file: '/work/截图/屏幕 🙂.png' } })],
  ['a name with a byte that is not UTF-8 (a lone surrogate)', file('caf\udce9.png', { source: { kind: 'file', file: '/work/caf\udce9.png' } })],
  ['a file outside the working folder', file('../x.png', { source: { kind: 'file', file: '/elsewhere/x.png' } })],
  ['stdin (kept whole)', { ...file('-'), source: { kind: 'memory', data: new Uint8Array([1, 2, 3]) } }],
  [
    'a resized copy (kept whole)',
    {
      ...file('r.png'),
      source: { kind: 'memory', data: new Uint8Array(4) },
      original: { mime: 'image/png', bytes: 9, sha256: sha(3), dimensions: undefined, file: '/work/r.png' },
    },
  ],
  ['a file not hashed yet (kept whole)', file('e.png', { sha256: '' })],
];

describe('ImageList', () => {
  it.each(cases)('%s comes back equal', (_name, img) => {
    const list = new ImageList('/work');
    list.push(file('first.png'));
    list.push(img);
    expect(list.length).toBe(2);
    expect(list.get(1)).toEqual(img);
    expect(list.pathOf(1)).toBe(img.path);
    expect(list.get(0)).toEqual(file('first.png'));
  });

  it('keeps thousands in order, filters them into a new list, and refuses an index out of range', () => {
    const many = Array.from({ length: 5000 }, (_, i) => file(`img-${i}.png`, { bytes: i, sha256: sha(i % 256), dimensions: { width: i + 1, height: 2 * i + 1 } }));
    const list = ImageList.of(many, '/work');
    expect(list.toArray()).toEqual(many);
    const odd = list.filter((_, i) => i % 2 === 1);
    expect(odd.length).toBe(2500);
    expect(odd.get(0)).toEqual(many[1]);
    expect(odd.get(2499)).toEqual(many[4999]);
    expect(() => list.get(5000)).toThrow(RangeError);
  });

  it('paths of every width, mixed, come back exactly after the store has grown many times', () => {
    const names = Array.from({ length: 3000 }, (_, i) => ['a.png', 'é.png', '图.png', 'x\udcff.png', ''][i % 5] + String(i).repeat(i % 7));
    const list = ImageList.of(
      names.map((n) => file(n, { source: { kind: 'file', file: `/elsewhere/${n}` } })),
      '/work',
    );
    expect(names.every((n, i) => list.pathOf(i) === n && list.get(i).path === n)).toBe(true);
  });
});
