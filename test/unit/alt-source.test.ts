// resolveImageSource: where an image's source points, relative to its document or the site root.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { percentDecode, resolveImageSource, type ImageSource } from '../../src/alt/source.js';

const base = { docDir: '/repo/docs/guide', root: '/repo/site' };

describe('resolveImageSource', () => {
  it.each<[string, ImageSource]>([
    ['shot.png', { kind: 'file', file: '/repo/docs/guide/shot.png' }],
    ['./img/shot.png', { kind: 'file', file: '/repo/docs/guide/img/shot.png' }],
    ['../img/shot.png', { kind: 'file', file: '/repo/docs/img/shot.png' }],
    ['/img/shot.png', { kind: 'file', file: '/repo/site/img/shot.png' }],
    ['/../../etc/shot.png', { kind: 'file', file: '/repo/site/etc/shot.png' }],
    ['img/my%20shot.png', { kind: 'file', file: '/repo/docs/guide/img/my shot.png' }],
    ['img/%E6%88%AA%E5%9B%BE.png', { kind: 'file', file: '/repo/docs/guide/img/截图.png' }],
    ['img/100%.png', { kind: 'file', file: '/repo/docs/guide/img/100%.png' }],
    ['img/shot.png?v=3#top', { kind: 'file', file: '/repo/docs/guide/img/shot.png' }],
    ['  shot.png ', { kind: 'file', file: '/repo/docs/guide/shot.png' }],
    ['https://example.com/a.png?x=1#frag', { kind: 'remote', url: 'https://example.com/a.png?x=1' }],
    ['HTTP://example.com/a.png', { kind: 'remote', url: 'HTTP://example.com/a.png' }],
    ['//cdn.example.com/a.png', { kind: 'remote', url: 'https://cdn.example.com/a.png' }],
  ])('%j', (url, want) => {
    expect(resolveImageSource(url, base)).toEqual(want.kind === 'file' ? { kind: 'file', file: path.normalize(want.file) } : want);
  });

  it.each<[string, RegExp]>([
    ['', /no source/],
    ['data:image/png;base64,iVBORw0KGgo=', /data: URI .*inside the document/],
    ['ftp://example.com/a.png', /ftp: URL/],
    ['file:///tmp/a.png', /file: URL/],
    ['mailto:a@b.c', /mailto: URL/],
    ['#only-a-fragment', /only a query or fragment/],
  ])('%j is not read, and says why', (url, why) => {
    const r = resolveImageSource(url, base);
    expect(r.kind).toBe('unsupported');
    expect(r.kind === 'unsupported' && r.reason).toMatch(why);
  });

  it('percent-decodes what it can and keeps the rest', () => {
    expect(percentDecode('a%20b%zz%41')).toBe('a b%zzA');
  });
});
