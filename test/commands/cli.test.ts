// In-process: the one exit point maps every kind of failure, and the terminal decisions hold.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import type { Io } from '../../src/io.js';
import { runBin, runInProcess } from '../helpers/cli.js';
import { PassThrough } from 'node:stream';

describe('exit codes at the single exit point', () => {
  it('1: an unexpected exception is an internal error, reported as a bug, with the stack only in debug', async () => {
    let stderr = '';
    const broken = new Writable({
      write: () => {
        throw new TypeError('stdout exploded');
      },
    });
    const io: Io = {
      stdout: broken,
      stderr: new Writable({
        write: (c, _e, cb) => {
          stderr += String(c);
          cb();
        },
      }),
      stdin: Object.assign(new PassThrough(), { isTTY: true }),
      env: {},
      cwd: process.cwd(),
      monotonicMs: () => 0,
      epochMs: () => 0,
      signal: new AbortController().signal,
    };
    const code = await run(['describe', 'fixtures/small.png', '--dry-run'], io);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^internal error: stdout exploded\nThis is a bug in kimi-vision; please report it/);
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('0 for --help and --version, 2 for an unknown command', async () => {
    expect((await runInProcess(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await runInProcess(['--help'])).code).toBe(0);
    const bad = await runInProcess(['describ']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command 'describ'/);
  });
});

describe('the terminal', () => {
  it('colours stderr only on a TTY, and never with NO_COLOR; stdout stays plain', async () => {
    const plain = await runInProcess(['describe', 'fixtures/bad/empty.png'], { stderrTTY: false });
    const tty = await runInProcess(['describe', 'fixtures/bad/empty.png'], { stderrTTY: true, rawStderr: true });
    const noColor = await runInProcess(['describe', 'fixtures/bad/empty.png'], { stderrTTY: true, rawStderr: true, env: { NO_COLOR: '1' } });
    expect(plain.stderr).toMatch(/^error: fixtures\/bad\/empty\.png/);
    expect(tty.stderr).toContain('\u001b[31merror:\u001b[39m');
    expect(noColor.stderr).not.toContain('\u001b[');
    for (const r of [plain, tty, noColor]) expect(r.code).toBe(3);
  });
});

describe('the fast path for --version and --help', () => {
  it('the built bin prints exactly what commander prints, for the program and each command', async () => {
    const { renderHelp } = await import('../../src/cli/program.js');
    const { help, version } = renderHelp();
    expect(Object.keys(help)).toEqual(expect.arrayContaining(['', 'describe', 'chat', 'config set', 'batch fetch']));
    for (const args of [['--help'], ['describe', '--help'], ['config', 'set', '-h']]) {
      const r = await runBin(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(help[args.slice(0, -1).join(' ')]);
    }
    expect((await runBin(['--version'])).stdout).toBe(`${version}\n`);
    // anything else goes to the CLI itself
    const other = await runBin(['describe', 'fixtures/small.png', '--help', '--dry-run']);
    expect(other.stdout).toBe(help.describe);
  });
});
