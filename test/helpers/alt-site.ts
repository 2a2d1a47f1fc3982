// A documentation folder for the alt tests, in a temporary folder removed after the file's tests:
// documents written as given, images copied from fixtures/, optionally a git repository.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { ReplyContext } from '../emulator/types.js';
import { FIXTURES } from './cli.js';

/** A file's content (text is written as UTF-8), or `{ fixture }`: a copy of that file of fixtures/. */
export type SiteFile = string | Uint8Array | { fixture: string };

/** git with no user or system configuration of this machine (autocrlf, hooks, a pager). */
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_PAGER: 'cat', LC_ALL: 'C' };
export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** Makes temporary sites for one test file; all are removed after its tests. */
export function siteMaker(prefix = 'kv-alt-') {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return (files: Record<string, SiteFile>, o: { git?: boolean } = {}): string => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    made.push(dir);
    writeSite(dir, files);
    if (o.git) {
      git(dir, 'init', '-q', '-b', 'main');
      git(dir, 'add', '.');
      git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'site');
    }
    return dir;
  };
}

export function writeSite(dir: string, files: Record<string, SiteFile>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'string' || content instanceof Uint8Array) writeFileSync(file, content);
    else copyFileSync(path.join(FIXTURES, content.fixture), file);
  }
}

export const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');

/** The text part of a request's user message: the prompt. */
export const promptOf = (body: unknown) => ((body as any).messages.at(-1).content as any[]).find((p) => p.type === 'text').text as string;

/** The emulator's answer in the alt tests: "Alt <first 8 hex of the image's sha256>" (and its section). */
export function altReply(ctx: ReplyContext): string {
  const section = /^Section: (.*)$/m.exec(promptOf(ctx.body))?.[1];
  return `Alt ${ctx.images[0]?.sha256.slice(0, 8)}${section ? ` in ${section}` : ''}`;
}
