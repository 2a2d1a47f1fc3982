// judgeAlt: which alt texts count as missing, and what the finding says.
import { describe, expect, it } from 'vitest';
import { judgeAlt, type JudgedImage } from '../../src/alt/judge.js';

const md = (alt: string | undefined, url = 'shots/settings-dialog.png'): JudgedImage => ({ alt, url, syntax: 'inline' });
const html = (alt: string | undefined, url = 'a.png'): JudgedImage => ({ alt, url, syntax: 'html' });

describe('judgeAlt', () => {
  it.each<[string, JudgedImage, string | undefined]>([
    ['Markdown, empty', md(''), 'missing alt text'],
    ['Markdown, only spaces', md('  '), 'missing alt text'],
    ['HTML, no alt attribute', html(undefined), 'missing alt text'],
    ['HTML, alt="" is decorative', html(''), undefined],
    ['HTML, alt=" " is a mistake, not decorative', html(' '), 'missing alt text'],
    ['a reference image, empty', { alt: '', url: 'a.png', syntax: 'reference' }, 'missing alt text'],
    ['generic word', md('image'), 'generic alt "image"'],
    ['generic word in capitals with punctuation', md('  Screenshot! '), 'generic alt "Screenshot!"'],
    ['generic word in brackets', md('[photo]'), 'generic alt "[photo]"'],
    ['generic with an article', md('A picture'), 'generic alt "A picture"'],
    ['generic two words, any separator', md('Alt_Text'), 'generic alt "Alt_Text"'],
    ['untitled', md('Untitled.'), 'generic alt "Untitled."'],
    ['img with a number', md('IMG_0042'), 'generic alt "IMG_0042"'],
    ['image 1', md('image 1'), 'generic alt "image 1"'],
    ['the file name with extension', md('settings-dialog.png'), 'file-name alt "settings-dialog.png"'],
    ['the file name without extension, any case, - as space', md('Settings Dialog'), 'file-name alt "Settings Dialog"'],
    ['the file name with _ for -', md('settings_dialog'), 'file-name alt "settings_dialog"'],
    ['the file name of a percent-encoded source', md('my shot', 'img/my%20shot.png?v=2#x'), 'file-name alt "my shot"'],
    ['another bare image file name', md('shot.png'), 'file-name alt "shot.png"'],
    ['HTML alt that is the file name', html('a', 'img/a.png'), 'file-name alt "a"'],
    ['a real description', md('The settings dialog with the Save button cut off'), undefined],
    ['a description that starts with a generic word', md('Screenshot of the login form'), undefined],
    ['a number alone is not generic', md('2024'), undefined],
    ['a file name inside a sentence is fine', md('Diagram of settings-dialog.png flow'), undefined],
  ])('%s', (_, img, finding) => {
    expect(judgeAlt(img)?.finding).toBe(finding);
  });

  it('names the reason: missing, generic or file-name', () => {
    expect([judgeAlt(md(''))?.reason, judgeAlt(md('photo'))?.reason, judgeAlt(md('settings-dialog'))?.reason]).toEqual(['missing', 'generic', 'file-name']);
  });

  it('quotes an alt text with quotes or control characters safely for one line', () => {
    expect(judgeAlt(md('"image"'))?.finding).toBe('generic alt "\\"image\\""');
    expect(judgeAlt(md('img\n1'))?.finding).toBe('generic alt "img 1"');
  });
});
