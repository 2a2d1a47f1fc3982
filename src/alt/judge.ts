// Whether an image's alt text counts as missing, and why. Missing: none at all, or empty in
// Markdown (which has no way to mark an image decorative). Says nothing: the file's own name, or a
// generic word. HTML's alt="" is the standard mark of a decorative image, so it is left alone.

export type AltReason = 'missing' | 'generic' | 'file-name';

export interface AltVerdict {
  reason: AltReason;
  /** For the --check line: `missing alt text`, `generic alt "image"`, `file-name alt "shot.png"`. */
  finding: string;
}

export interface JudgedImage {
  alt: string | undefined;
  /** The decoded source, for the file's own name. */
  url: string;
  syntax: 'inline' | 'reference' | 'collapsed' | 'shortcut' | 'html';
}

const GENERIC = new Set([
  'image',
  'images',
  'img',
  'picture',
  'pictures',
  'pic',
  'photo',
  'photos',
  'photograph',
  'screenshot',
  'screenshots',
  'screen shot',
  'untitled',
  'alt',
  'alt text',
  'image alt',
  'placeholder',
  'todo',
  'insert image',
  'image here',
  'graphic',
  'figure',
]);

/** The verdict for an image, or undefined when its alt text is fine. */
export function judgeAlt(img: JudgedImage): AltVerdict | undefined {
  const { alt } = img;
  if (alt === undefined) return { reason: 'missing', finding: 'missing alt text' };
  if (alt.trim() === '') {
    // alt="" marks a decorative image; alt=" " is a mistake (screen readers then read the file name).
    if (img.syntax === 'html' && alt === '') return undefined;
    return { reason: 'missing', finding: 'missing alt text' };
  }
  const words = normalize(alt);
  if (isFileName(words, alt, img.url)) return { reason: 'file-name', finding: `file-name alt ${quote(alt)}` };
  if (isGeneric(words)) return { reason: 'generic', finding: `generic alt ${quote(alt)}` };
  return undefined;
}

/** Lower case, `-` `_` and dots between words as spaces, punctuation around it gone, spaces collapsed. */
function normalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[-_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
}

function isGeneric(words: string): boolean {
  const bare = words.replace(/^(?:an?|the|my|our)\s+/, '');
  if (GENERIC.has(bare)) return true;
  // `image 1`, `IMG_0042`, `screenshot-3`: a generic word and a number say nothing either.
  const m = /^(.*?)\s*\d+$/.exec(bare);
  return !!m && (m[1] === '' ? false : GENERIC.has(m[1] as string));
}

const IMAGE_EXT = /\.(?:png|jpe?g|gif|webp|svg|bmp|avif|heic|heif|tiff?|ico)$/i;

function isFileName(words: string, alt: string, url: string): boolean {
  const name = fileNameOf(url);
  if (name) {
    const whole = normalize(name);
    const stem = normalize(name.replace(/\.[^.]+$/, ''));
    if (words === whole || words === stem) return true;
  }
  // An alt that is itself a bare image file name (`shot.png`) names a file, not what it shows.
  return IMAGE_EXT.test(alt.trim()) && !/\s/.test(alt.trim());
}

/** The last path segment of a source, without query or fragment, percent-decoded when it can be. */
function fileNameOf(url: string): string {
  const path = url.replace(/[?#].*$/s, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function quote(alt: string): string {
  return JSON.stringify(alt.trim().replace(/\s+/g, ' '));
}
