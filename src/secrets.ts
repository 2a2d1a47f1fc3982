// Secrets on their way out: an API key checked before it is put in a header, and credentials in a
// URL hidden before it is printed. Pure; no key or password ever appears in a message from here.
import { EXIT, KvError } from './errors.js';

/**
 * Refuses a key that cannot travel in an HTTP header: undici would throw an opaque "invalid header"
 * error, which the retry loop took for a network failure. Header values are Latin-1 text; a newline
 * or another control character (a key pasted with its line break, a stray escape) is never part of a
 * key. `source` says where the key came from, for the message ("MOONSHOT_API_KEY", "the config file").
 */
export function checkApiKey(key: string, source = 'MOONSHOT_API_KEY'): void {
  let position = 0;
  for (const ch of key) {
    position++; // counted in characters (code points), as the user would count them
    const what = badKeyCharacter(ch.codePointAt(0) ?? 0);
    if (what) {
      throw new KvError(
        EXIT.auth,
        `the API key (from ${source}) contains ${what} (at position ${position} of ${[...key].length}).`,
        'Copy the key again from the platform console, without line breaks or extra characters, and set it once more.',
      );
    }
  }
}

function badKeyCharacter(cp: number): string | undefined {
  if (cp === 0x0a || cp === 0x0d) return 'a newline';
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 'a control character';
  if (cp > 0xff) return 'a non-Latin-1 character';
  return undefined;
}

/**
 * The URL with the user name and password it carries shown as `***`:
 * `https://user:pass@host/v1` -> `https://***:***@host/v1`. Works on the text, so the URL is shown
 * exactly as written otherwise (no trailing slash added), and also on what is not a valid URL and on
 * a proxy written without a scheme (`user:pass@proxy:3128`), which may still carry a password.
 */
export function redactUrl(url: string): string {
  // The authority ends at the first / ? # (or \, which WHATWG treats as / for http and https); the
  // credentials end at its last @, as the URL parser reads it.
  const m = /^((?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/|)([^/?#\\]*)@/.exec(url);
  if (!m) return url;
  const [whole, scheme = '', userinfo = ''] = m;
  const hidden = userinfo.includes(':') ? '***:***' : '***';
  return `${scheme}${hidden}@${url.slice(whole.length)}`;
}
