// Where an image's source points: a file relative to the document, a file under the site's root
// for `/img/x.png`, a remote http(s) URL, or something that cannot be read (and why). Pure: no
// file system here, the caller reads what this names.
import path from 'node:path';

export type ImageSource = { kind: 'file'; file: string } | { kind: 'remote'; url: string } | { kind: 'unsupported'; reason: string };

export interface SourceBase {
  /** The folder of the document the image is in (absolute). */
  docDir: string;
  /** The folder a root-relative `/img/x.png` is under (absolute). */
  root: string;
}

/** `url` is the decoded source (DocImage.url): character references and escapes already read. */
export function resolveImageSource(url: string, base: SourceBase): ImageSource {
  const src = url.trim();
  if (src === '') return { kind: 'unsupported', reason: 'the image has no source' };
  if (/^https?:\/\//i.test(src)) return { kind: 'remote', url: withoutFragment(src) };
  if (src.startsWith('//')) return { kind: 'remote', url: `https:${withoutFragment(src)}` }; // protocol-relative
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(src)?.[1]?.toLowerCase();
  if (scheme === 'data') return { kind: 'unsupported', reason: 'a data: URI (the image is inside the document; only files and http(s) URLs are read)' };
  if (scheme !== undefined && !(scheme.length === 1 && process.platform === 'win32')) {
    return { kind: 'unsupported', reason: `a ${scheme}: URL (only files and http(s) URLs are read)` };
  }
  const rel = percentDecode(src.replace(/[?#].*$/s, ''));
  if (rel === '') return { kind: 'unsupported', reason: 'the source is only a query or fragment' };
  if (rel.startsWith('/')) {
    // As a web server reads it: `..` cannot climb above the root.
    return { kind: 'file', file: path.join(base.root, path.posix.normalize(rel)) };
  }
  return { kind: 'file', file: path.resolve(base.docDir, rel) };
}

function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

/** %20 -> space, %C3%A9 -> é; a `%` that starts no valid escape (`100%.png`) stays as it is. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
