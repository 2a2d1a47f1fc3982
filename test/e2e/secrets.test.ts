// The API key never leaves the Authorization header: every command, in every failure mode, with debug
// output on, is run with a recognisable key; then all output and every file written is searched for it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome, runBin } from '../helpers/cli.js';

const KEY = 'sk-SECRET-7c1d2e9f4a5b6c7d8e9f0a1b2c3d4e5f';
const emu = useEmulator();

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    out = statSync(p).isDirectory() ? [...out, ...filesUnder(p)] : [...out, p];
  }
  return out;
}

describe('secrets', () => {
  it('the key appears in no output and no file, whatever happens', async () => {
    const home = isolatedHome();
    const env = { ...home, MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, KIMI_VISION_DEBUG: '1' };
    const small = 'fixtures/small.png';
    const outputs: string[] = [];
    const run = async (args: string[], stdin?: string) => {
      const r = await runBin(args, { env, ...(stdin !== undefined ? { stdin } : {}) });
      outputs.push(`$ ${args.join(' ')} -> ${r.code}\n${r.stdout}${r.stderr}`);
      return r;
    };
    await run(['describe', small]);
    await run(['describe', small, '--format', 'json', '--upload']);
    await run(['describe', '--continue', '-p', 'more']);
    await run(['describe', small, '--dry-run', '--format', 'json']);
    await run(['describe', small, '--dry-run', '--exact']);
    for (const fault of [
      { kind: 'error' as const, status: 401, type: 'invalid_authentication_error', message: 'Invalid Authentication' },
      { kind: 'error' as const, status: 404, type: 'resource_not_found_error', message: 'Not found the model x or Permission denied' },
      { kind: 'error' as const, status: 429, type: 'exceeded_current_quota_error', message: 'quota' },
      { kind: 'error' as const, status: 400, type: 'invalid_request_error', message: 'bad' },
      { kind: 'non-sse' as const },
      { kind: 'reset-mid-stream' as const, afterEvents: 3 },
      { kind: 'error-event' as const, afterEvents: 2, type: 'server_error', message: 'boom' },
    ]) {
      emu.queueFault(fault);
      await run(['describe', small, '--max-attempts', '1', '-m', 'kimi-k2.6']);
    }
    await run(['describe', small, '--max-attempts', '1'], undefined);
    await run(['describe', small, '--base-url', 'http://127.0.0.1:9/v1', '--max-attempts', '1']);
    await run(['describe', '--each', small, 'fixtures/photo.jpg', '--format', 'jsonl', '--cache']);
    await run(['describe', '--each', small, '--format', 'jsonl', '--cache']);
    await run(['chat', small, '-q'], 'hello\n/exit\n');
    await run(['sessions']);
    await run(['models']);
    await run(['balance', '--format', 'json']);
    await run(['config', 'list']);
    await run(['config', 'set', 'api_key', '-'], `${KEY}\n`);
    await run(['config', 'get', 'api_key']);
    await run(['config', 'list', '--format', 'json']);
    await run(['describe', small, '-q'], undefined);

    const all = outputs.join('\n');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(KEY.slice(3, 20)); // not even a fragment
    // (the config file is the one place the key may be, by the user's own request, and it is 0600)
    const written = filesUnder(home.HOME!);
    expect(written.length).toBeGreaterThan(3);
    for (const f of written) {
      const text = readFileSync(f, 'latin1');
      if (f.endsWith(path.join('kimi-vision', 'config.json'))) {
        expect(statSync(f).mode & 0o077).toBe(0);
        expect(statSync(path.dirname(f)).mode & 0o077).toBe(0); // and its folder is private too
        continue;
      }
      expect(text, f).not.toContain(KEY);
    }
    // Every request carried the key in the header, which is where it belongs.
    const chats = emu.chatRequests();
    expect(chats.length).toBeGreaterThan(5);
    for (const q of chats) expect(q.headers.authorization).toBe(`Bearer ${KEY}`);
  }, 120_000);

  it('credentials in a base URL (https://user:pass@host/v1) appear in no output, error, debug line, listing or file: shown as ***', async () => {
    const home = isolatedHome();
    const USER = 'kvuser-7f3a';
    const PASS = 'pw-SECRET-91b2c3d4e5';
    const withCreds = (base: string) => base.replace('://', `://${USER}:${PASS}@`);
    const good = withCreds(emu.baseUrl);
    const env = { ...home, MOONSHOT_BASE_URL: good, MOONSHOT_API_KEY: KEY, KIMI_VISION_DEBUG: '1' };
    const small = 'fixtures/small.png';
    const outputs: string[] = [];
    const run = async (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) => {
      const r = await runBin(args, { env: { ...env, ...o.env }, ...(o.stdin !== undefined ? { stdin: o.stdin } : {}) });
      // (the command line, which holds the credentials when --base-url gives them, is not the tool's output)
      outputs.push(`$ ${args.join(' ').replaceAll(`${USER}:${PASS}@`, '<credentials>@')} -> ${r.code}\n${r.stdout}${r.stderr}`);
      return r;
    };
    expect((await run(['describe', small])).code).toBe(0);
    await run(['describe', '--continue', '-p', 'more', '--upload']);
    await run(['describe', '--each', small, 'fixtures/photo.jpg', '--format', 'jsonl', '--cache']);
    for (const fault of [
      { kind: 'error' as const, status: 401, type: 'invalid_authentication_error', message: 'Invalid Authentication' },
      { kind: 'error' as const, status: 404, type: 'resource_not_found_error', message: 'Not found the model x or Permission denied' },
      { kind: 'non-sse' as const },
      { kind: 'reset-mid-stream' as const, afterEvents: 3 },
    ]) {
      emu.queueFault(fault);
      await run(['describe', small, '--max-attempts', '1', '-m', 'kimi-k2.6']);
    }
    const wrong = [
      withCreds(emu.baseUrl.replace(/\/v1$/, '')), // the API's host without /v1: every path 404s
      withCreds('http://127.0.0.1:9/v1'), // nothing listens
      withCreds('ftp://127.0.0.1/v1'),
      withCreds('http://example.com/v1'), // plain http off loopback
      `https://${USER}:${PASS}@[::bad/v1`, // not a URL
    ];
    for (const base of wrong) {
      const r = await run(['describe', small, '--max-attempts', '1'], { env: { MOONSHOT_BASE_URL: base } });
      expect(r.code).not.toBe(0);
      await run(['models'], { env: { MOONSHOT_BASE_URL: base } });
      await run(['describe', small, '--base-url', base, '--max-attempts', '1']);
    }
    await run(['balance']);
    await run(['models']);
    const submitted = await run(['batch', 'submit', small]);
    await run(['batch', 'status', submitted.stdout.trim()]);
    await run(['chat', small, '-q'], { stdin: 'hello\n/exit\n' });
    await run(['config', 'set', 'base_url', good]);
    await run(['config', 'get', 'base_url'], { env: { MOONSHOT_BASE_URL: '' } });
    await run(['config', 'list']);
    await run(['config', 'list', '--format', 'json'], { env: { MOONSHOT_BASE_URL: '' } });
    await run(['describe', small], { env: { MOONSHOT_BASE_URL: '' } }); // from the config file

    const all = outputs.join('\n');
    expect(all).not.toContain(PASS);
    expect(all).not.toContain(USER);
    expect(all).toContain('***:***@'); // shown, hidden
    expect(all).toMatch(/does not look like the API's base URL/);
    expect(all).toMatch(/base_url +http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/v1 +env MOONSHOT_BASE_URL/);
    // The config file holds it, by the user's own request, readable by them alone; no other file does.
    for (const f of filesUnder(home.HOME!)) {
      if (f.endsWith(path.join('kimi-vision', 'config.json'))) {
        expect(statSync(f).mode & 0o077).toBe(0);
        continue;
      }
      const text = readFileSync(f, 'latin1');
      expect(text, f).not.toContain(PASS);
      expect(text, f).not.toContain(USER);
    }
  }, 180_000);
});
