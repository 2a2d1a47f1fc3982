// `prepare`: builds dist/, first installing the build tools when npm has not.
//
// npm runs `prepare` on `npm ci` and `npm pack` with the devDependencies installed. Two install routes
// from source run it without them (npm 11):
// - `npm install -g .` (or -g <folder>): npm links the folder into the global prefix and runs its
//   `prepare` there without installing any dependency. dist/ is not committed and esbuild is not a
//   dependency of the installed CLI, so this script then runs `npm ci` in the folder, whose own
//   `prepare` (this script again, with esbuild found) builds dist/.
// - `npm install -g git+…`: npm clones the repository and runs `npm install` in the clone to prepare
//   it, but before npm 12 that child inherits npm_config_global=true (npm/cli#8440, fixed by pacote's
//   --global=false in npm 12): it installs nothing, links the temporary clone into the global prefix
//   and drops what the outer install had put there; the install "succeeds" with a link to a folder
//   that is deleted next. No script of ours can undo that reliably, so it stops here with the routes
//   that work. With npm 12 the clone is prepared as a project and the route works.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** npm's git preparation (pacote marks it with _PACOTE_NO_PREPARE_) running in global mode by mistake. */
const gitPreparedAsGlobal = () => process.env._PACOTE_NO_PREPARE_ !== undefined && process.env.npm_config_global === 'true';

function hasBuildTools() {
  try {
    createRequire(path.join(ROOT, 'package.json')).resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

/**
 * The settings a global install hands down to its scripts that would change what `npm ci` does in
 * this folder: install it globally again, skip the devDependencies, or refuse --allow-scripts (an
 * error in a project-scoped install). The user's own settings (cache, registry, proxy) stay.
 */
const INHERITED = ['global', 'location', 'force', 'include', 'omit', 'production', 'only', 'save', 'audit', 'allow_scripts', 'dry_run', 'package_lock_only', 'install_links'];

function installBuildTools() {
  if (process.env.KIMI_VISION_PREPARE_NPM_CI) {
    process.stderr.write(`kimi-vision: npm ci did not install esbuild (a devDependency) in ${ROOT}: cannot build dist/\n`);
    process.exit(1);
  }
  // The marker stops a loop: the prepare of that npm ci runs this script again.
  const env = { ...process.env, KIMI_VISION_PREPARE_NPM_CI: '1' };
  for (const key of Object.keys(env)) {
    const setting = /^npm_config_(.+)$/i.exec(key)?.[1]?.toLowerCase();
    if (setting && INHERITED.includes(setting)) delete env[key];
  }
  process.stderr.write('kimi-vision: the build tools (devDependencies) are not installed here: running npm ci first\n');
  const r = spawnSync('npm', ['ci', '--include=dev', '--no-audit', '--no-fund'], { cwd: ROOT, env, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    process.stderr.write(`kimi-vision: npm ci failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); run npm ci, then npm run build, in ${ROOT}\n`);
    process.exit(1);
  }
}

if (gitPreparedAsGlobal()) {
  process.stderr.write(
    [
      `kimi-vision: npm ${process.env.npm_config_npm_version ?? ''} cannot install this package globally from git: it prepares the clone`,
      '  in global mode (npm/cli#8440, fixed in npm 12), so it would install a link to a deleted folder.',
      '  Instead, in a clone of the repository: npm install -g .   (a link to the clone)',
      '  or: npm ci && npm pack && npm install -g ./kimi-vision-<version>.tgz   (a copy)',
      '  or, with npm 12: npm install -g git+<url>',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
if (hasBuildTools()) await import('./build.mjs');
else installBuildTools(); // its own prepare built dist/
