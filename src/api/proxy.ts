// Which proxy a request goes through, chosen by us (not by undici's EnvHttpProxyAgent) so that an
// error can name it and NO_PROXY reads the way users write it. Pure: the environment is an argument.
//
// The variable, for a target URL:
//   https://…  https_proxy, else HTTPS_PROXY
//   http://…   http_proxy,  else HTTP_PROXY
// The lowercase name wins when both are set, as curl reads them (curl ignores HTTP_PROXY altogether,
// a defence for CGI scripts, where a request header can set it; a CLI is no CGI script, and most tools
// read it). An empty value is unset. An https target never falls back to HTTP_PROXY, nor to ALL_PROXY
// (curl, Go and Python agree on the first; ALL_PROXY is mostly a SOCKS proxy, which is not supported).
// A proxy written without a scheme (`proxy:3128`) is http://, as curl takes it.
//
// NO_PROXY (no_proxy wins), entries separated by commas and/or blanks, case-insensitive, trailing
// dots ignored:
//   *                    every host
//   example.com          example.com and every subdomain (api.example.com), not badexample.com
//   .example.com         the same (curl: a leading dot, or `*.`, changes nothing)
//   example.com:8443     that host (and subdomains) on that port only
//   10.1.2.3  ::1  [::1]  an IP literal target (v4-mapped IPv6 and IPv4 match each other); [::1]:8080 with a port
//   10.0.0.0/8  fd00::/8  a CIDR range, for IP literal targets
// A host name never matches an IP literal (no name resolution), as in curl. An entry that cannot be
// read (`10.0.0.0/99`, `host:port`) matches nothing.
import { UsageError } from '../errors.js';
import { redactUrl } from '../secrets.js';

export interface ProxyChoice {
  /** The proxy's URL, with the scheme it was written with (http:// when none). */
  url: string;
  /** The variable that chose it, as spelled in the environment: `HTTPS_PROXY`, `http_proxy`, … */
  variable: string;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Entry {
  /** A host name without leading or trailing dots; or the bytes of an IP with its prefix length. */
  host?: string;
  ip?: { bytes: number[]; bits: number };
  port?: number;
}

/** The proxy for a request to `targetUrl`, or undefined: none set, or NO_PROXY matches. */
export function proxyFor(targetUrl: string, env: Env): ProxyChoice | undefined {
  const target = new URL(targetUrl);
  const scheme = target.protocol === 'https:' ? 'https' : target.protocol === 'http:' ? 'http' : undefined;
  if (!scheme) return undefined;
  const chosen = firstSet(env, `${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`);
  if (!chosen) return undefined;
  const noProxy = firstSet(env, 'no_proxy', 'NO_PROXY');
  const port = target.port ? Number(target.port) : scheme === 'https' ? 443 : 80;
  if (noProxy && noProxyMatches(noProxy.value, target.hostname, port)) return undefined;
  return { url: proxyUrl(chosen.value, chosen.variable), variable: chosen.variable };
}

/** Whether any proxy variable is set (when none is, no proxy code needs loading). */
export function proxyConfigured(env: Env): boolean {
  return firstSet(env, 'https_proxy', 'HTTPS_PROXY') !== undefined || firstSet(env, 'http_proxy', 'HTTP_PROXY') !== undefined;
}

/** Whether `host` (a URL's hostname: lowercase, IPv6 in brackets) on `port` is exempt by `list`. */
export function noProxyMatches(list: string, host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/\.+$/, '');
  const ip = parseIp(name.startsWith('[') ? name.slice(1, -1) : name);
  for (const raw of list.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return true;
    const e = parseEntry(raw.toLowerCase());
    if (!e || (e.port !== undefined && e.port !== port)) continue;
    if (e.host !== undefined && !ip && (name === e.host || name.endsWith(`.${e.host}`))) return true;
    if (e.ip && ip && inRange(ip, e.ip)) return true;
  }
  return false;
}

function firstSet(env: Env, ...names: string[]): { value: string; variable: string } | undefined {
  for (const variable of names) {
    const value = env[variable]?.trim();
    if (value) return { value, variable };
  }
  return undefined;
}

function proxyUrl(value: string, variable: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${variable} is not a proxy URL: ${redactUrl(value)}`, `Set it as http://host:port (or http://user:password@host:port), or unset it.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(
      `${variable} names a ${parsed.protocol.slice(0, -1)} proxy: only http:// and https:// proxies are supported.`,
      `Use an HTTP proxy, or unset ${variable} for kimi-vision.`,
    );
  }
  return url;
}

function parseEntry(raw: string): Entry | undefined {
  let s = raw.replace(/\.+$/, '');
  if (s.includes('/')) {
    const [addr = '', bitsText = ''] = s.split('/');
    const bytes = parseIp(addr.replace(/^\[(.*)\]$/, '$1'));
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    return bytes && bits <= bytes.length * 8 ? { ip: { bytes, bits } } : undefined;
  }
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    const bytes = parseIp(bracketed[1]!);
    if (!bytes) return undefined;
    return { ip: { bytes, bits: bytes.length * 8 }, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  }
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const [h = '', p = ''] = s.split(':');
    if (!/^\d{1,5}$/.test(p)) return undefined;
    port = Number(p);
    s = h.replace(/\.+$/, '');
  }
  const bytes = parseIp(s);
  if (bytes) return { ip: { bytes, bits: bytes.length * 8 }, ...(port !== undefined ? { port } : {}) };
  if (colons > 1) return undefined;
  const host = s.replace(/^\*?\.+/, '');
  return host === '' ? undefined : { host, ...(port !== undefined ? { port } : {}) };
}

function inRange(ip: number[], range: { bytes: number[]; bits: number }): boolean {
  const forms = [ip, ...(ip.length === 16 && isV4Mapped(ip) ? [ip.slice(12)] : []), ...(ip.length === 4 ? [[...V4_MAPPED, ...ip]] : [])];
  const same = forms.find((f) => f.length === range.bytes.length);
  if (!same) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((same[bit >> 3]! & mask) !== (range.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const isV4Mapped = (b: number[]) => V4_MAPPED.every((x, i) => b[i] === x);

/** 4 bytes for a dotted IPv4, 16 for an IPv6 (zone dropped), else undefined. */
export function parseIp(s: string): number[] | undefined {
  return parseIpv4(s) ?? (s.includes(':') ? parseIpv6(s.replace(/%.*$/, '')) : undefined);
}

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (const [i, g] of items.entries()) {
      const v4 = i === items.length - 1 && g.includes('.') ? parseIpv4(g) : undefined;
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else if (/^[0-9a-f]{1,4}$/i.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}
