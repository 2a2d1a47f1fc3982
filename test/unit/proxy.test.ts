// The proxy choice: which variable picks the proxy for a URL, and NO_PROXY in the forms users write.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_TIMEOUTS, networkError } from '../../src/api/http.js';
import { noProxyMatches, parseIp, proxyConfigured, proxyFor } from '../../src/api/proxy.js';
import { markProxy } from '../../src/api/proxy-router.js';

const API = 'https://api.moonshot.cn/v1/chat/completions';

describe('proxyFor: the variable', () => {
  it.each([
    ['nothing set', API, {}, undefined],
    ['HTTPS_PROXY for https', API, { HTTPS_PROXY: 'http://p:3128' }, { url: 'http://p:3128', variable: 'HTTPS_PROXY' }],
    ['https_proxy for https', API, { https_proxy: 'http://p:3128' }, { url: 'http://p:3128', variable: 'https_proxy' }],
    ['lowercase wins over uppercase', API, { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' }, { url: 'http://low:1', variable: 'https_proxy' }],
    ['an empty lowercase one is unset', API, { https_proxy: '', HTTPS_PROXY: 'http://up:2' }, { url: 'http://up:2', variable: 'HTTPS_PROXY' }],
    ['https does not fall back to HTTP_PROXY (as curl)', API, { HTTP_PROXY: 'http://p:3128', http_proxy: 'http://p:3128' }, undefined],
    ['nor to ALL_PROXY', API, { ALL_PROXY: 'http://p:3128' }, undefined],
    ['HTTP_PROXY for http', 'http://127.0.0.1:8080/v1', { HTTP_PROXY: 'http://p:3128' }, { url: 'http://p:3128', variable: 'HTTP_PROXY' }],
    ['http_proxy wins for http', 'http://127.0.0.1:8080/v1', { HTTP_PROXY: 'http://up:1', http_proxy: 'http://low:2' }, { url: 'http://low:2', variable: 'http_proxy' }],
    ['http does not use HTTPS_PROXY', 'http://127.0.0.1:8080/v1', { HTTPS_PROXY: 'http://p:3128' }, undefined],
    ['a proxy without a scheme is http://', API, { HTTPS_PROXY: 'p.corp:3128' }, { url: 'http://p.corp:3128', variable: 'HTTPS_PROXY' }],
    ['an https:// proxy', API, { HTTPS_PROXY: 'https://p.corp:443' }, { url: 'https://p.corp:443', variable: 'HTTPS_PROXY' }],
    ['credentials are kept (undici sends them to the proxy)', API, { HTTPS_PROXY: 'http://u:p@p:3128' }, { url: 'http://u:p@p:3128', variable: 'HTTPS_PROXY' }],
    ['blanks around the value', API, { HTTPS_PROXY: ' http://p:3128\n' }, { url: 'http://p:3128', variable: 'HTTPS_PROXY' }],
    ['NO_PROXY matching: no proxy', API, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'moonshot.cn' }, undefined],
    ['no_proxy wins over NO_PROXY', API, { HTTPS_PROXY: 'http://p:3128', no_proxy: 'example.com', NO_PROXY: 'moonshot.cn' }, { url: 'http://p:3128', variable: 'HTTPS_PROXY' }],
    ['NO_PROXY not matching', API, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'example.com' }, { url: 'http://p:3128', variable: 'HTTPS_PROXY' }],
  ])('%s', (_name, url, env, choice) => {
    expect(proxyFor(url, env)).toEqual(choice);
  });

  it.each([
    ['not a URL', { HTTPS_PROXY: 'http://u:secret@[nope' }, /^HTTPS_PROXY is not a proxy URL: http:\/\/\*\*\*:\*\*\*@\[nope$/],
    ['a SOCKS proxy', { https_proxy: 'socks5://u:secret@p:1080' }, /^https_proxy names a socks5 proxy: only http:\/\/ and https:\/\/ proxies are supported\.$/],
  ])('%s: a usage error naming the variable, never the password', (_name, env, message) => {
    let err: unknown;
    try {
      proxyFor(API, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('secret');
  });

  it('proxyConfigured says whether any proxy variable is set', () => {
    expect(proxyConfigured({})).toBe(false);
    expect(proxyConfigured({ NO_PROXY: '*', ALL_PROXY: 'x', HTTPS_PROXY: '' })).toBe(false);
    expect(proxyConfigured({ http_proxy: 'x' })).toBe(true);
  });
});

describe('noProxyMatches', () => {
  // [NO_PROXY, host (as URL.hostname gives it), port, matches]
  it.each([
    ['*', 'api.moonshot.cn', 443, true],
    ['example.com,*', 'api.moonshot.cn', 443, true],
    ['', 'api.moonshot.cn', 443, false],
    // host names: itself and subdomains, not a name that merely ends the same
    ['moonshot.cn', 'moonshot.cn', 443, true],
    ['moonshot.cn', 'api.moonshot.cn', 443, true],
    ['moonshot.cn', 'a.b.moonshot.cn', 443, true],
    ['moonshot.cn', 'notmoonshot.cn', 443, false],
    ['api.moonshot.cn', 'moonshot.cn', 443, false],
    ['.moonshot.cn', 'api.moonshot.cn', 443, true],
    ['.moonshot.cn', 'moonshot.cn', 443, true],
    ['*.moonshot.cn', 'api.moonshot.cn', 443, true],
    ['MoonShot.CN', 'api.moonshot.cn', 443, true],
    ['moonshot.cn.', 'api.moonshot.cn', 443, true],
    ['moonshot.cn', 'api.moonshot.cn.', 443, true],
    ['localhost', 'localhost', 8080, true],
    // separators: commas and/or blanks
    ['a.com, b.com', 'x.b.com', 443, true],
    ['a.com b.com\tc.com', 'c.com', 443, true],
    [' , ,a.com,, ', 'a.com', 443, true],
    // host:port
    ['moonshot.cn:443', 'api.moonshot.cn', 443, true],
    ['moonshot.cn:8443', 'api.moonshot.cn', 443, false],
    ['localhost:8080', 'localhost', 8080, true],
    ['localhost:8080', 'localhost', 8081, false],
    // IPv4
    ['127.0.0.1', '127.0.0.1', 80, true],
    ['127.0.0.1', '127.0.0.2', 80, false],
    ['127.0.0.1:41234', '127.0.0.1', 41234, true],
    ['127.0.0.1:41234', '127.0.0.1', 41235, false],
    ['localhost', '127.0.0.1', 80, false], // no name resolution, as curl
    ['0.0.1', '10.0.0.1', 80, false], // not a suffix match on digits
    // IPv6, bare and in brackets, compressed or not
    ['::1', '[::1]', 443, true],
    ['[::1]', '[::1]', 443, true],
    ['[::1]:8080', '[::1]', 8080, true],
    ['[::1]:8080', '[::1]', 8081, false],
    ['0:0:0:0:0:0:0:1', '[::1]', 443, true],
    ['::2', '[::1]', 443, false],
    ['fe80::1%eth0', '[fe80::1]', 443, true],
    // CIDR ranges, for IP literal targets
    ['10.0.0.0/8', '10.20.30.40', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['192.168.1.0/24', '192.168.1.255', 443, true],
    ['192.168.1.0/24', '192.168.2.1', 443, false],
    ['172.16.0.0/12', '172.31.255.255', 443, true],
    ['172.16.0.0/12', '172.32.0.0', 443, false],
    ['0.0.0.0/0', '8.8.8.8', 443, true],
    ['10.1.2.3/32', '10.1.2.3', 443, true],
    ['fd00::/8', '[fd12:3456::1]', 443, true],
    ['fd00::/8', '[fe80::1]', 443, false],
    ['[fd00::]/8', '[fd12::1]', 443, true],
    ['2001:db8::/32', '[2001:db8:ffff::1]', 443, true],
    ['2001:db8::/32', '[2001:db9::1]', 443, false],
    ['10.0.0.0/8', 'ten.example.com', 443, false],
    // IPv4 and its v4-mapped IPv6 form match each other
    ['10.0.0.0/8', '[::ffff:a00:1]', 443, true],
    ['::ffff:10.0.0.1', '10.0.0.1', 443, true],
    // entries that cannot be read match nothing (and break nothing)
    ['10.0.0.0/33', '10.0.0.1', 443, false],
    ['10.0.0.0/x', '10.0.0.1', 443, false],
    ['host:port', 'host', 443, false],
    ['1::2::3', '[1::2]', 443, false],
    ['.', 'moonshot.cn', 443, false],
    ['[::1', '[::1]', 443, false],
  ])('NO_PROXY=%j, %s:%d -> %s', (list, host, port, matches) => {
    expect(noProxyMatches(list, host, port)).toBe(matches);
  });
});

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['256.0.0.1', undefined],
    ['1.2.3', undefined],
    ['::', Array(16).fill(0)],
    ['::1', [...Array(15).fill(0), 1]],
    ['1::', [0, 1, ...Array(14).fill(0)]],
    ['2001:db8::ff00:42:8329', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29]],
    ['::ffff:1.2.3.4', [...Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['1:2:3:4:5:6:7', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4::5:6:7:8', undefined],
    [':1', undefined],
    ['12345::', undefined],
    ['example.com', undefined],
  ])('%s', (s, bytes) => {
    expect(parseIp(s)).toEqual(bytes);
  });
});

describe('networkError through a proxy', () => {
  const via = { url: 'http://kv:s3cret@proxy.corp:3128', variable: 'https_proxy' };
  const shown = 'the proxy http://***:***@proxy.corp:3128 (from https_proxy)';
  const fail = (code: string | undefined, message = 'x') => Object.assign(new Error(message), code ? { code } : {});
  it.each([
    ['refused', fail('ECONNREFUSED'), `connection refused by ${shown}.`, true],
    ['unknown proxy host', fail('ENOTFOUND'), `cannot resolve the host of ${shown} (DNS).`, true],
    ['unreachable', fail('EHOSTUNREACH'), `${shown} cannot be reached (EHOSTUNREACH).`, true],
    ['TLS with an https proxy', fail('UND_ERR_PRX_TLS'), `TLS handshake with ${shown} failed.`, false],
    ['407', fail('UND_ERR_ABORTED', 'Proxy response (407) !== 200 when HTTP Tunneling'), `${shown} asks for credentials (407 Proxy Authentication Required).`, false],
    ['403', fail('UND_ERR_ABORTED', 'Proxy response (403) !== 200 when HTTP Tunneling'), `${shown} did not open a connection to api.moonshot.cn (it answered 403).`, false],
    ['503', fail('UND_ERR_ABORTED', 'Proxy response (503) !== 200 when HTTP Tunneling'), `${shown} did not open a connection to api.moonshot.cn (it answered 503).`, true],
    // past the proxy, on the way to the host: both named
    ['headers timeout', fail('UND_ERR_HEADERS_TIMEOUT'), `api.moonshot.cn through ${shown} sent no answer within 120 s.`, true],
    ['TLS with the host', fail('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), `TLS handshake with api.moonshot.cn through ${shown} failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE).`, false],
    ['reset', fail('ECONNRESET'), `the connection to api.moonshot.cn through ${shown} was closed unexpectedly.`, true],
  ])('%s', (_name, err, message, retryable) => {
    const e = networkError(markProxy(err, via), 'api.moonshot.cn', DEFAULT_TIMEOUTS, false);
    expect(e.message).toBe(message);
    expect(e.retryable).toBe(retryable);
    expect(`${e.message} ${e.hint}`).not.toContain('s3cret');
  });

  it('without a proxy, the host is named as before', () => {
    expect(networkError(fail('ECONNREFUSED'), 'api.moonshot.cn', DEFAULT_TIMEOUTS, false).message).toBe('connection refused by api.moonshot.cn.');
  });
});
