// The GitHub Action's step (scripts/alt-action.sh, run by action.yml) in a temporary git repository,
// against the emulator, with a fake GITHUB_STEP_SUMMARY and GITHUB_OUTPUT: only the documents
// changed since the base, in check (annotations, the report, exit 7), diff (a patch that applies;
// each image captioned once) and write mode (the files fixed), and the key only ever in the
// environment.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome, ROOT } from '../helpers/cli.js';
import { altReply, git, read, siteMaker, writeSite } from '../helpers/alt-site.js';

const emu = useEmulator({ reply: altReply });
beforeEach(() => emu.reset());
const site = siteMaker('kv-alt-action-');
const KEY = 'sk-test-alt-action-0123456789';
const runnerTemps: string[] = [];
afterAll(() => {
  for (const dir of runnerTemps) rmSync(dir, { recursive: true, force: true });
});

interface Step {
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

/** Runs the action's script as the runner would: in the work tree, with the runner's files and the inputs as env. */
function step(workspace: string, inputs: Record<string, string>): Promise<Step> {
  const temp = mkdtempSync(path.join(tmpdir(), 'kv-alt-runner-'));
  runnerTemps.push(temp);
  const files = { GITHUB_STEP_SUMMARY: path.join(temp, 'summary.md'), GITHUB_OUTPUT: path.join(temp, 'output') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = {
    PATH: process.env.PATH,
    ...isolatedHome(),
    ...files,
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: temp,
    MOONSHOT_BASE_URL: emu.baseUrl,
    ...inputs,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'alt-action.sh')], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const outputs = Object.fromEntries(
        readFileSync(files.GITHUB_OUTPUT, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      resolve({ code: code ?? -1, stdout, stderr, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), outputs });
    });
  });
}

/** A repository with one commit of documents (the base), then a commit that adds and changes some. */
function repo(): { dir: string; base: string } {
  const dir = site({ 'docs/old.md': '# Old\n\n![](img/a.png)\n', 'docs/kept.md': '# Kept\n\n![A chart](img/a.png)\n', 'docs/img/a.png': { fixture: 'small.png' } }, { git: true });
  const base = git(dir, 'rev-parse', 'HEAD').trim();
  writeSite(dir, {
    'docs/new.md': '# New page\n\n![](img/a.png) and ![image](img/b.png)\n',
    'docs/img/b.png': { fixture: 'screenshot.png' },
    'docs/kept.md': '# Kept\n\n![A chart](img/a.png)\n\nMore text.\n',
  });
  git(dir, 'add', '.');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'change');
  return { dir, base };
}

describe('the GitHub Action (scripts/alt-action.sh)', () => {
  it('check: only the changed documents; an annotation per finding, the report in the summary, exit 7; no key, nothing sent', async () => {
    const { dir, base } = repo();
    const r = await step(dir, { KV_MODE: 'check', KV_BASE: base, KV_DOCUMENTS: 'docs' });
    expect(r.code).toBe(7);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::warning'))).toEqual([
      '::warning file=docs/new.md,line=3,col=1::img/a.png: missing alt text',
      '::warning file=docs/new.md,line=3,col=20::img/b.png: generic alt "image"',
    ]);
    expect(r.stdout).toMatch(/^::error::2 images without alt text/m);
    expect(r.summary).toMatch(/^## Images without alt text\n\n2 images without alt text in 1 of 2 documents\.\n\n### docs\/new\.md\n/);
    expect(r.summary).not.toContain('old.md'); // unchanged since the base
    expect(r.outputs).toMatchObject({ documents: '2', findings: '2' });
    expect(emu.requests).toHaveLength(0);
    const lenient = await step(dir, { KV_MODE: 'check', KV_BASE: base, KV_FAIL_ON_FINDINGS: 'false' });
    expect(lenient.code).toBe(0);
  });

  it('diff: a patch that git apply takes, each image captioned once (the second run comes from the cache); the work tree unchanged', async () => {
    const { dir, base } = repo();
    const r = await step(dir, { KV_MODE: 'diff', KV_BASE: base, KV_DOCUMENTS: 'docs', MOONSHOT_API_KEY: KEY });
    expect(r.code).toBe(0);
    expect(emu.chatRequests()).toHaveLength(2);
    expect(r.summary).toMatch(/^## Alt text\n\n2 alt texts proposed for 1 document\.\n/);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    const patch = readFileSync(r.outputs.patch as string, 'utf8');
    expect(patch).toMatch(/^diff --git a\/docs\/new\.md b\/docs\/new\.md\n/);
    git(dir, 'apply', r.outputs.patch as string);
    expect(read(dir, 'docs/new.md')).toMatch(/^# New page\n\n!\[Alt [0-9a-f]{8} in New page\]\(img\/a\.png\) and !\[Alt [0-9a-f]{8} in New page\]\(img\/b\.png\)\n$/);
    expect(r.stdout + r.stderr + r.summary + readFileSync(r.outputs.patch as string, 'utf8')).not.toContain(KEY);
  });

  it('write: every document (no base), fixed in place; the patch of what changed and the count as outputs', async () => {
    const { dir } = repo();
    const r = await step(dir, { KV_MODE: 'write', KV_BASE: '', MOONSHOT_API_KEY: KEY });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ documents: '1', findings: '3', changed: '2' });
    expect(git(dir, 'status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([' M docs/new.md', ' M docs/old.md']);
    expect(readFileSync(r.outputs.patch as string, 'utf8')).toContain('+![Alt ');
    expect(r.summary).toMatch(/^## Alt text\n\nWrote 3 alt texts into 2 documents\.\n/);
  });

  it('a mode it does not know is refused; no key in diff mode is exit 4', async () => {
    const { dir, base } = repo();
    expect((await step(dir, { KV_MODE: 'fix' })).code).toBe(2);
    const none = await step(dir, { KV_MODE: 'diff', KV_BASE: base });
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/MOONSHOT_API_KEY is not set/);
  });
});
