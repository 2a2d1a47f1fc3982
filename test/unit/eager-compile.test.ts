// The build step that marks the functions a run calls to compile with their file
// (scripts/eager-compile.mjs): it may change only where a function stands and whether it is in
// parentheses, never what the program does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { markEager } from '../../scripts/eager-compile.mjs';

const eager = markEager as (source: string, ran: Set<number>) => { code: string; marked: number };

/** The start offset of every occurrence of `needle` (the functions to mark, found by their text). */
const at = (source: string, ...needles: string[]) => new Set(needles.map((n) => source.indexOf(n)));

/** What a script leaves in `out`, run as a CommonJS module body would be. */
function run(source: string): unknown[] {
  const out: unknown[] = [];
  vm.runInNewContext(`(function () {\n${source}\n})()`, { out });
  return out;
}

const PROGRAM = `"use strict";
const early = twice(2);
function twice(x) { return once(x) * 2; }
function once(y) { once = (z) => z + 100; return y; }
const inc = (n) => n + 1;
const obj = { method() { return 'm'; } };
function sloppy() { return this === undefined ? 'strict' : 'sloppy'; }
function nested() {
  'use strict';
  return [inner(), typeof this];
  function inner() { return 'inner'; }
}
out.push(early, twice(2), inc(1), obj.method(), sloppy(), nested(), twice.name, once.name, inc.name, String(inc));
`;

describe('markEager', () => {
  const all = at(PROGRAM, 'function twice', 'function once', '(n) => n + 1', 'function sloppy', 'function nested', 'function inner', '(z) => z + 100');

  it('keeps what the program does: hoisting, names, a function that replaces itself, strictness', () => {
    const { code, marked } = eager(PROGRAM, all);
    expect(marked).toBe(7);
    expect(run(code)).toEqual(run(PROGRAM));
    expect(run(code)).toEqual([4, 204, 2, 'm', 'strict', ['inner', 'undefined'], 'twice', 'once', 'inc', '(n) => n + 1']);
  });

  it('puts each chosen function in parentheses, declarations at the top of their scope past the directives', () => {
    const { code } = eager(PROGRAM, all);
    expect(code.startsWith('"use strict";\nvar twice = (function (x) { return once(x) * 2; });\n')).toBe(true);
    expect(code).toContain('const inc = ((n) => n + 1);');
    expect(code).toContain("{\n  'use strict';\nvar inner = (function () { return 'inner'; });\n");
    expect(code).not.toContain('function twice');
  });

  it('leaves the functions no run called as they were', () => {
    const { code, marked } = eager(PROGRAM, at(PROGRAM, '(n) => n + 1'));
    expect(marked).toBe(1);
    expect(code).toBe(PROGRAM.replace('(n) => n + 1', '((n) => n + 1)'));
  });

  it('changes nothing in a function that is already in parentheses, or in a method', () => {
    const source = 'out.push((function () { return 1; })(), { m() { return 2; } }.m());';
    const { code, marked } = eager(source, at(source, 'function ()', 'm()'));
    expect([code, marked]).toEqual([source, 0]);
  });
});

describe.each(['cli.cjs', 'describe.cjs'])('the built CLI (dist/%s)', (name) => {
  const cli = readFileSync(path.join(import.meta.dirname, '../../dist', name), 'utf8');

  it('is marked: the functions its training run calls are compiled with the file', () => {
    // main() and the commander program are on every run's way: both are in parentheses.
    expect((cli.match(/var [\w$]+ = \((async )?function\*? \(/g) ?? []).length).toBeGreaterThan(50);
  });

  it('is ASCII, so that V8 keeps it as a one-byte string', () => {
    expect(/[^\x00-\x7f]/.test(cli)).toBe(false);
  });
});
