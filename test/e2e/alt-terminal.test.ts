// kimi-vision alt in a real terminal (tmux): the progress line stays below the patch as each
// document's part prints, and nothing of it is left on the screen once the run is over.
import { afterAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome } from '../helpers/cli.js';
import { PtyRun, ptyUnavailable } from '../helpers/pty.js';
import { altReply, siteMaker } from '../helpers/alt-site.js';

const emu = useEmulator({ firstByteDelayMs: 300, reply: altReply });
const site = siteMaker();
const runs: PtyRun[] = [];
afterAll(async () => {
  await Promise.all(runs.map((r) => r.close()));
});

// Skipped where tmux is missing, with the reason in the output; in CI (CI=true) that is a failure.
if (ptyUnavailable && process.env.CI === 'true') throw new Error(`CI must run the terminal tests: ${ptyUnavailable}`);
if (ptyUnavailable) console.warn(`test/e2e/alt-terminal.test.ts: ${ptyUnavailable}`);
const suite = ptyUnavailable ? describe.skip : describe;

const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** The progress line's texts, or a piece of one left behind. */
const PROGRESS = /\d+\/\d+ images captioned|so far/;

suite(ptyUnavailable ? `alt in a terminal (skipped: ${ptyUnavailable})` : 'alt in a terminal', () => {
  it('the patch prints above the progress line, which is gone at the end', async () => {
    const dir = site({
      'docs/a.md': '# A\n\n![](shot.png)\n',
      'docs/b.md': '# B\n\n![](shot.png)\n',
      'docs/c.md': '# C\n\n![](shot.png)\n',
      'docs/shot.png': { fixture: 'small.png' },
    });
    const env = { ...isolatedHome(), MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: 'sk-test-alt-terminal-0123456789' };
    const run = await PtyRun.start(['alt', 'docs', '-j', '1'], { env, width: 100, height: 50, cwd: dir });
    runs.push(run);
    const mid = await run.waitForScreen(/[12]\/3 images captioned, 0 failed, ¥[\d.]+ so far/);
    expect(mid.split('\n').at(-1)).toMatch(/^. [12]\/3 images captioned/); // one row, the last
    const r = await run.exited({ joined: true });
    expect(r.code).toBe(0);
    const shown = r.screen.split('\n');
    expect(shown.filter((l) => l.startsWith('diff --git '))).toEqual([
      'diff --git a/docs/a.md b/docs/a.md',
      'diff --git a/docs/b.md b/docs/b.md',
      'diff --git a/docs/c.md b/docs/c.md',
    ]);
    expect(shown.filter((l) => l.startsWith('+!['))).toHaveLength(3);
    expect(r.screen).not.toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(PROGRESS);
    expect(shown.slice(-2)).toEqual([expect.stringMatching(/^3 images captioned, 0 failed · /), 'the patch holds 3 alt texts for 3 documents']);
  });
});
