// kimi-vision diff in a real terminal (tmux): the progress line stays below the pairs as they
// print, and nothing of it is left on the screen once the run is over.
import { afterAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome } from '../helpers/cli.js';
import { PtyRun, ptyUnavailable } from '../helpers/pty.js';

const emu = useEmulator({ firstByteDelayMs: 300 });
const runs: PtyRun[] = [];
afterAll(async () => {
  await Promise.all(runs.map((r) => r.close()));
});

// Skipped where tmux is missing, with the reason in the output; in CI (CI=true) that is a failure.
if (ptyUnavailable && process.env.CI === 'true') throw new Error(`CI must run the terminal tests: ${ptyUnavailable}`);
if (ptyUnavailable) console.warn(`test/e2e/diff-terminal.test.ts: ${ptyUnavailable}`);
const suite = ptyUnavailable ? describe.skip : describe;

const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** The progress line's texts, or a piece of one left behind. */
const PROGRESS = /pairs done|so far|comparing/;

suite(ptyUnavailable ? `diff in a terminal (skipped: ${ptyUnavailable})` : 'diff in a terminal', () => {
  it('the pairs print above the progress line, which is gone at the end', async () => {
    const env = { ...isolatedHome(), MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test-diff-terminal-0123456789' };
    const run = await PtyRun.start(['diff', 'fixtures/diff/baseline', 'fixtures/diff/current', '--describe-new', '-j', '1'], { env, width: 100, height: 50 });
    runs.push(run);
    const mid = await run.waitForScreen(/\d\/5 pairs done, 0 failed, ¥[\d.]+ so far/);
    expect(mid.split('\n').at(-1)).toMatch(/^. \d\/5 pairs done/); // one row, the last
    const r = await run.exited({ joined: true });
    expect(r.code).toBe(0);
    const shown = r.screen.split('\n');
    expect(shown.filter((l) => l.startsWith('==> '))).toEqual([
      '==> fixtures/diff/baseline/home.png -> fixtures/diff/current/home.png <== same',
      '==> (none) -> fixtures/diff/current/new-footer.png <== added',
      '==> fixtures/diff/baseline/old-banner.png -> (none) <== removed',
      '==> fixtures/diff/baseline/pages/about.png -> fixtures/diff/current/pages/about.png <== changed, 2.23% of pixels',
      '==> fixtures/diff/baseline/settings.png -> fixtures/diff/current/settings.png <== changed, 3.68% of pixels',
    ]);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(PROGRESS);
    expect(shown.at(-1)).toMatch(/^5 pairs: 2 changed, 1 added, 1 removed, 1 same · /);
  });
});
