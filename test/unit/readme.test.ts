// The README is part of the product: its model table, exit codes and options must match the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { EXIT } from '../../src/errors.js';
import { DEFAULT_MODEL, MODELS, priceFor } from '../../src/models.js';
import type { Io } from '../../src/io.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function rowOf(id: string): string[] {
  const line = readme.split('\n').find((l) => new RegExp(`^\\| (\\*\\*)?${id.replace(/\./g, '\\.')}(\\*\\*)?( \\(|\\s\\|)`).test(l));
  expect(line, `README model table has a row for ${id}`).toBeDefined();
  return line!.split('|').map((c) => c.trim());
}

const money = (n: number | undefined, derived?: boolean) => `${derived ? '≈' : ''}${(n ?? 0).toFixed(2)}`;

describe('README', () => {
  it("has a model table row for every model, with the table's context and prices", () => {
    for (const m of MODELS) {
      const row = rowOf(m.id);
      expect(row[3]).toBe(m.context.toLocaleString('en-US'));
      const cny = priceFor(m, 'CNY')!;
      const usd = priceFor(m, 'USD')!;
      expect(row[6]).toBe(`${money(cny.input, cny.derived)} / ${money(cny.output, cny.derived)}`);
      const cached = usd.cachedInput !== undefined ? ` (${money(usd.cachedInput)})` : '';
      expect(row[7]).toBe(`${money(usd.input, usd.derived)}${cached} / ${money(usd.output, usd.derived)}`);
      expect(row[8]).toBe(m.retired ? `retired ${m.retired}` : 'current');
    }
    expect(rowOf(DEFAULT_MODEL)[1]).toContain('default');
  });

  it('lists every exit code', () => {
    for (const code of Object.values(EXIT)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('documents every command and every long option', () => {
    const io = {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: {},
      cwd: '.',
      monotonicMs: () => 0,
      epochMs: () => 0,
      signal: new AbortController().signal,
    } as unknown as Io;
    const walk = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(walk)];
    for (const cmd of walk(buildProgram(io, () => {}))) {
      if (cmd.name() !== 'kimi-vision' && cmd.name() !== 'help') expect(readme, `command ${cmd.name()}`).toContain(cmd.name());
      for (const opt of cmd.options) {
        const flag = opt.long?.replace(/^--no-/, '--no-');
        if (!flag || flag === '--help' || flag === '--version') continue;
        expect(readme, `${cmd.name()} ${flag}`).toContain(flag);
      }
    }
  });
});
