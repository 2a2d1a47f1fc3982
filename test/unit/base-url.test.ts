// Answers that mean the base URL is wrong (a redirect, a 404 for the path), and the download limit's variable.
import { describe, expect, it } from 'vitest';
import { redirectError, wrongBaseUrl } from '../../src/api/base-url.js';
import { downloadTimeoutMs } from '../../src/api/download.js';
import { UsageError } from '../../src/errors.js';

describe('redirectError', () => {
  const base = 'http://api.test/v1';
  it.each([
    [
      'http to https',
      301,
      'https://api.test/v1/chat/completions',
      'http://api.test/v1 answered POST /chat/completions with a redirect (301 Moved Permanently) to https://api.test/v1/chat/completions; kimi-vision does not follow redirects (the key and the request would go to another address).',
      /use it as the base URL: https:\/\/api\.test\/v1 \(--base-url/,
    ],
    [
      'a relative Location',
      308,
      '/moonshot/v1/chat/completions',
      /to http:\/\/api\.test\/moonshot\/v1\/chat\/completions;/,
      /use it as the base URL: http:\/\/api\.test\/moonshot\/v1 \(/,
    ],
    [
      'another path',
      302,
      'https://login.example/sso?next=1',
      /\(302 Found\) to https:\/\/login\.example\/sso\?next=1;/,
      /Set the API's own address as the base URL .*https:\/\/api\.moonshot\.cn\/v1/,
    ],
    ['the same address', 307, 'http://api.test/v1/chat/completions', /\(307 Temporary Redirect\)/, /back to the same address/],
    ['no Location', 303, undefined, 'http://api.test/v1 answered POST /chat/completions with a redirect (303 See Other) that names no target.', /Set the API's own address/],
    ['an odd status', 399, '/x', /with a redirect \(399\) to http:\/\/api\.test\/x;/, /Set the API's own address/],
  ])('%s', (_name, status, location, message, hint) => {
    const err = redirectError(base, 'POST', '/chat/completions', status, location);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.hint).toMatch(hint);
  });

  it('never shows credentials, of the base URL or of the Location', () => {
    const err = redirectError('https://me:pw1@api.test/v1', 'GET', '/models', 301, 'https://you:pw2@gw.test/v1/models');
    const text = `${err.message} ${err.hint}`;
    expect(text).not.toMatch(/pw1|pw2|me:|you:/);
    expect(err.message).toBe(
      'https://***:***@api.test/v1 answered GET /models with a redirect (301 Moved Permanently) to https://***:***@gw.test/v1/models; kimi-vision does not follow redirects (the key and the request would go to another address).',
    );
    expect(err.hint).toMatch(/use it as the base URL: https:\/\/gw\.test\/v1 \(/);
  });
});

describe('wrongBaseUrl', () => {
  it.each([
    ['http://api.test', /try http:\/\/api\.test\/v1 \(/],
    ['http://api.test/v1', /Check the host and path/],
    ['http://u:secret@api.test', /try http:\/\/\*\*\*:\*\*\*@api\.test\/v1 \(/],
  ])('%s', (base, hint) => {
    const err = wrongBaseUrl(base, 'POST', '/chat/completions');
    expect(err.hint).toMatch(hint);
    expect(`${err.message} ${err.hint}`).not.toContain('secret');
  });
});

describe('downloadTimeoutMs (KIMI_VISION_DOWNLOAD_TIMEOUT)', () => {
  it.each([
    [undefined, 30_000],
    ['', 30_000],
    [' 30 ', 30_000],
    ['1', 1000],
    ['0.5', 500],
    ['120', 120_000],
  ])('%j -> %i ms', (value, ms) => expect(downloadTimeoutMs({ KIMI_VISION_DOWNLOAD_TIMEOUT: value })).toBe(ms));

  it.each(['0', '-1', 'soon', '1e3', '10s', 'NaN'])('%j is a usage error', (value) => {
    expect(() => downloadTimeoutMs({ KIMI_VISION_DOWNLOAD_TIMEOUT: value })).toThrow(UsageError);
  });
});
