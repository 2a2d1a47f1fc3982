// A base URL without /v1 answers 404 on every path: every command says the base URL is wrong and how
// to fix it, instead of "model unavailable" or "no model list".
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { runBin } from '../helpers/cli.js';

const emu = useEmulator();
const rootOf = (baseUrl: string) => baseUrl.replace(/\/v1$/, '');
const env = () => ({ MOONSHOT_BASE_URL: rootOf(emu.baseUrl), MOONSHOT_API_KEY: 'sk-base-url' });

describe('a base URL that lacks /v1', () => {
  it.each([
    ['describe', ['describe', 'fixtures/small.png'], 'POST /chat/completions'],
    ['describe --each', ['describe', '--each', 'fixtures/small.png'], 'POST /chat/completions'],
    ['models', ['models'], 'GET /models'],
    ['balance', ['balance'], 'GET /users/me/balance'],
    ['batch status', ['batch', 'status', 'batch_abc'], 'GET /batches/batch_abc'],
  ])('%s: exit 2, "does not look like the API\'s base URL", and the /v1 fix', async (_name, args, request) => {
    const r = await runBin(args, { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${rootOf(emu.baseUrl)} does not look like the API's base URL: ${request} answered 404 Not Found.`);
    expect(r.stderr).toContain(`try ${rootOf(emu.baseUrl)}/v1`);
    expect(r.stderr).not.toMatch(/unavailable|retired|fall(ing)? back/);
    expect(r.stdout).toBe('');
  });

  it('credentials in the base URL are not shown in the message', async () => {
    const withUser = rootOf(emu.baseUrl).replace('http://', 'http://alice:s3cret@');
    const r = await runBin(['models'], { env: { MOONSHOT_BASE_URL: withUser, MOONSHOT_API_KEY: 'sk-base-url' } });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr).not.toContain('alice');
    expect(r.stderr).toContain('http://***:***@127.0.0.1');
  });

  it('a model the key cannot use still reads as a model problem (the base URL is right)', async () => {
    const r = await runBin(['describe', 'fixtures/small.png', '-m', 'kimi-k9-imaginary'], { env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-base-url' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/model kimi-k9-imaginary is unavailable/);
  });
});
