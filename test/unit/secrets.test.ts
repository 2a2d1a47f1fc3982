// Keys that cannot travel in a header are refused before sending, without showing them; credentials
// inside URLs are shown as ***.
import { describe, expect, it } from 'vitest';
import { EXIT, KvError } from '../../src/errors.js';
import { checkApiKey, redactUrl } from '../../src/secrets.js';
import { apiKey } from '../../src/settings.js';
import { runInProcess } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';

const SECRET = 'sk-7c1d2e9f4a5b';

function refusal(f: () => unknown): KvError {
  try {
    f();
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('checkApiKey', () => {
  it.each([
    ['a newline at the end', `${SECRET}\n`, 'a newline (at position 16 of 16)'],
    ['a carriage return inside', `sk-\r${SECRET}`, 'a newline (at position 4 of 19)'],
    ['a tab', `${SECRET}\t`, 'a control character (at position 16 of 16)'],
    ['an escape', `\u001b[2J${SECRET}`, 'a control character (at position 1 of 19)'],
    ['DEL', `${SECRET}\u007f`, 'a control character (at position 16 of 16)'],
    ['a C1 control', `${SECRET}\u0085`, 'a control character (at position 16 of 16)'],
    ['a NUL', `sk-\u0000`, 'a control character (at position 4 of 4)'],
    ['a typographic quote', `\u201c${SECRET}\u201d`, 'a non-Latin-1 character (at position 1 of 17)'],
    ['an emoji, counted as one character', `sk-\u{1F511}x`, 'a non-Latin-1 character (at position 4 of 5)'],
  ])('refuses a key with %s: exit 4, says where, never shows the key', (_name, key, what) => {
    const err = refusal(() => checkApiKey(key));
    expect(err.exitCode).toBe(EXIT.auth);
    expect(err.message).toBe(`the API key (from MOONSHOT_API_KEY) contains ${what}.`);
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET.slice(3));
  });

  it.each([
    ['a plain key', SECRET],
    ['Latin-1 letters (a header can carry them)', 'sk-éàü'],
    ['a space (odd, but a header can carry it)', 'sk-a b'],
    ['printable ASCII of every kind', 'sk-!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'],
  ])('accepts %s', (_name, key) => {
    expect(() => checkApiKey(key)).not.toThrow();
  });

  it('names the config file when the key came from there', () => {
    expect(refusal(() => checkApiKey('sk-\n', 'the config file')).message).toContain('(from the config file)');
  });
});

describe('apiKey() refuses a bad key before anything is sent', () => {
  it.each([
    ['the environment', { MOONSHOT_API_KEY: `sk-a\u0007b` }, {}, 'MOONSHOT_API_KEY'],
    ['the config file', {}, { api_key: 'sk-a\nb' }, 'the config file'],
  ])('from %s', (_name, env, config, source) => {
    const err = refusal(() => apiKey(env, config));
    expect(err.exitCode).toBe(EXIT.auth);
    expect(err.message).toContain(`(from ${source})`);
  });

  it('still returns a good key, trimmed from the environment', () => {
    expect(apiKey({ MOONSHOT_API_KEY: `  ${SECRET}\n` })).toBe(SECRET);
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://user:pass@host/v1', 'https://***:***@host/v1'],
    ['https://user@host/v1', 'https://***@host/v1'],
    ['https://:pass@host', 'https://***:***@host'],
    ['http://u:p@127.0.0.1:8080', 'http://***:***@127.0.0.1:8080'],
    ['http://us%40er:p%3Ass@proxy:3128/', 'http://***:***@proxy:3128/'],
    // the URL parser splits at the last @ of the authority: so does this
    ['http://user@corp:p@ss@proxy:3128', 'http://***:***@proxy:3128'],
    ['user:pass@proxy:3128', '***:***@proxy:3128'],
    ['HTTP://USER:PASS@HOST', 'HTTP://***:***@HOST'],
    ['socks5://u:p@[::1]:1080', 'socks5://***:***@[::1]:1080'],
    // nothing to hide: unchanged, byte for byte
    ['https://api.moonshot.cn/v1', 'https://api.moonshot.cn/v1'],
    ['http://host/path@not-credentials', 'http://host/path@not-credentials'],
    ['https://host?x=a@b', 'https://host?x=a@b'],
    ['https://host#a@b', 'https://host#a@b'],
    ['not a url', 'not a url'],
    ['', ''],
  ])('%s -> %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe('a bad key, end to end (in process, against the emulator)', () => {
  const emu = useEmulator();
  it('describe refuses it before anything is sent: exit 4, not retried as a network error, the key never shown', async () => {
    const key = 'sk-abc\ndef-0123456789';
    const r = await runInProcess(['describe', 'fixtures/small.png'], { env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: key } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('error: the API key (from MOONSHOT_API_KEY) contains a newline (at position 7 of 21).');
    expect(r.stderr).not.toMatch(/retrying|network/);
    expect(r.stdout + r.stderr).not.toContain('0123456789');
    expect(emu.requests).toHaveLength(0);
  });
});
