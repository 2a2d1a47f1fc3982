// `config set api_key` on a terminal: the key is typed hidden (in-process, fake TTY stdin).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolatedHome, runInProcess } from '../helpers/cli.js';

describe('config set api_key on a terminal', () => {
  it('prompts on stderr, echoes nothing, and stores the typed key 0600', async () => {
    const home = isolatedHome();
    const file = path.join(home.XDG_CONFIG_HOME!, 'kimi-vision', 'config.json');
    const r = await runInProcess(['config', 'set', 'api_key'], { env: home, stdin: 'sk-typed-secret-77\r', stdinTTY: true, stderrTTY: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Moonshot API key (input hidden): \n');
    expect(r.stdout + r.stderr).not.toContain('sk-typed-secret-77');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ api_key: 'sk-typed-secret-77' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('stores nothing when the terminal input ends empty (exit 2)', async () => {
    const home = isolatedHome();
    const r = await runInProcess(['config', 'set', 'api_key'], { env: home, stdin: '\r', stdinTTY: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no API key was read');
  });
});
