// Builds dist/ from src/ (run by `npm run build`, and by `prepare` on `npm ci`).
//
// Start-up is most of what a CLI run costs, so dist/ is laid out for it:
// - dist/kimi-vision.cjs: the entry (src/main.ts), loaded by bin/kimi-vision.js once Node's own
//   compile cache is on (module.enableCompileCache): it answers `--help` and `--version` from
//   help.json, and requires dist/cli.cjs for everything else.
// - dist/cli.cjs: the CLI itself (our code, commander, eventsource-parser) as one CommonJS file: one
//   file to read and compile, cached by Node between runs. (Each start reads its whole file and its
//   cache entry, which grow with every function in it: `--version` should not read the CLI's.)
// - dist/describe.cjs: the same with `describe` alone (the code only the other commands use left
//   out: 206 KB of 338), for the runs whose first argument is `describe`: most of them.
// - dist/vendor/<package>.cjs: the heavy dependencies the CLI loads only on some paths (undici to send,
//   ajv for --schema, fast-glob for globs), each bundled on its own so a run that does not need one
//   never reads it. The CLI's `import('undici')` becomes a require of './vendor/undici.cjs'.
// - dist/help.json: `--help` and `--version` text rendered from the same commander program, so those
//   answers load no command at all.
// Then the functions a typical run calls are marked to compile with their file, so that Node's compile
// cache holds them (scripts/eager-compile.mjs), and every file is checked to be ASCII: V8 keeps a
// file with one other character as a two-byte string, which doubles what reading it costs each start.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markEager, trainingCoverage } from './eager-compile.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const MAIN = path.join(ROOT, 'src/main.ts');
const CLI_ROUTE = 'kimi-vision:cli';
const VENDOR = ['undici', 'ajv', 'fast-glob'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  logLevel: 'warning',
  legalComments: 'none',
  minify: process.env.KV_BUILD_MINIFY !== '0', // KV_BUILD_MINIFY=0: readable names in CPU and heap profiles
  keepNames: false,
  // sharp is an optional native dependency: found in node_modules at run time, or not at all.
  external: ['sharp'],
  // import.meta.url (package.json, help.json) is the bundle's own URL.
  define: { 'import.meta.url': '__kvFileUrl', KV_VERSION: JSON.stringify(createRequire(import.meta.url)('../package.json').version) },
  banner: { js: "const __kvFileUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * What the CLI bundle loads lazily stays out of it and is required when first used: `import('undici')`
 * becomes `require('./vendor/undici.cjs')` (next to the bundle), and `import('sharp')` or a dynamic
 * `import('node:…')` a require too. (esbuild keeps an external dynamic import as import(), which would
 * go through the ESM loader: a second module system to start for one file.)
 */
const lazyRequire = {
  name: 'lazy-require',
  setup(b) {
    const vendor = new RegExp(`^(${VENDOR.join('|')})$`);
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.namespace === 'lazy-require') return { path: args.path, external: true };
      if (vendor.test(args.path)) return { path: `./vendor/${args.path}.cjs`, namespace: 'lazy-require' };
      // The entry's `import('./cli/run.js')`: the CLI bundle next to it, describe's own for describe.
      if (args.kind === 'dynamic-import' && args.path === './cli/run.js' && args.importer === MAIN) return { path: CLI_ROUTE, namespace: 'lazy-require' };
      const outside = args.path.startsWith('node:') || args.path === 'sharp';
      return args.kind === 'dynamic-import' && outside ? { path: args.path, namespace: 'lazy-require' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => {
      if (args.path === CLI_ROUTE) return { contents: "module.exports = process.argv[2] === 'describe' ? require('./describe.cjs') : require('./cli.cjs');", loader: 'js' };
      const id = JSON.stringify(args.path);
      return { contents: `module.exports = require(${id});`, loader: 'js' };
    });
  },
};

/**
 * commander requires node:child_process at load for a feature the CLI does not use (executable
 * subcommands): loading it costs a few ms of every start, so commander gets it on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

/**
 * `import path from 'node:path'` in a CommonJS bundle goes through esbuild's interop helper, which
 * copies every property of the module onto a new object with a getter each, once per importing
 * file (27 files import node:path): ~4 ms of every start. Our own imports of node:path and node:fs
 * get a module of their own instead that hands over Node's module as it is: the default export is
 * the module, each named export its property (read at load; getters, such as fs.promises, are left
 * out so that nothing loads early: a named import of one fails the build).
 */
const plainBuiltins = {
  name: 'plain-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(path|fs)$/ }, (args) =>
      args.kind === 'import-statement' && !/[\\/]node_modules[\\/]/.test(args.importer) ? { path: args.path, namespace: 'plain-builtins' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'plain-builtins' }, (args) => {
      const mod = createRequire(import.meta.url)(args.path);
      const names = Object.keys(mod).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && 'value' in (Object.getOwnPropertyDescriptor(mod, k) ?? {}));
      const id = JSON.stringify(args.path);
      return { contents: `const m = require(${id});\nexport default m;\n${names.map((k) => `export const ${k} = m.${k};`).join('\n')}\n`, loader: 'js' };
    });
  },
};

rmSync(DIST, { recursive: true, force: true });
mkdirSync(path.join(DIST, 'vendor'), { recursive: true });

/**
 * undici's HTTP/1.1 client requires its HTTP/2 one at load (and node:http2 with it, ~8 ms) for
 * connections that negotiate h2, which the CLI never allows (allowH2 is off): it is required on
 * first use instead.
 */
const lazyHttp2Client = {
  name: 'lazy-http2-client',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const connectH2 = require('./client-h2.js')";
      if (!source.includes(eager)) throw new Error(`${args.path}: no \`${eager}\` to make lazy (undici changed: update scripts/build.mjs)`);
      return { contents: source.replace(eager, "const connectH2 = (...a) => require('./client-h2.js')(...a)"), loader: 'js' };
    });
  },
};

/** What each vendor bundle is made of: its package, or for undici the parts the CLI uses. */
const vendorEntry = (name) => {
  if (name === 'undici') return { entryPoints: [path.join(ROOT, 'scripts/undici-entry.cjs')], plugins: [lazyHttp2Client] };
  return { stdin: { contents: `module.exports = require('${name}');`, resolveDir: ROOT, loader: 'js' } };
};

await Promise.all([
  build({ ...common, entryPoints: [MAIN], outfile: path.join(DIST, 'kimi-vision.cjs'), plugins: [plainBuiltins, lazyRequire] }),
  build({ ...common, entryPoints: [path.join(ROOT, 'src/cli/run.ts')], outfile: path.join(DIST, 'cli.cjs'), plugins: [plainBuiltins, lazyChildProcess, lazyRequire] }),
  build({
    ...common,
    define: { ...common.define, KV_DESCRIBE_ONLY: 'true' },
    entryPoints: [path.join(ROOT, 'src/cli/run.ts')],
    outfile: path.join(DIST, 'describe.cjs'),
    plugins: [plainBuiltins, lazyChildProcess, lazyRequire],
  }),
  ...VENDOR.map((name) => build({ ...common, ...vendorEntry(name), outfile: path.join(DIST, 'vendor', `${name}.cjs`) })),
]);

// help.json: render the help of the program the bundle carries, from a throwaway bundle of cli/program.ts.
const renderer = path.join(DIST, '.render-help.cjs');
await build({ ...common, entryPoints: [path.join(ROOT, 'src/cli/program.ts')], outfile: renderer, plugins: [plainBuiltins, lazyChildProcess, lazyRequire] });
try {
  const { renderHelp } = createRequire(import.meta.url)(renderer);
  writeFileSync(path.join(DIST, 'help.json'), JSON.stringify(renderHelp()));
} finally {
  rmSync(renderer, { force: true });
}

const outputs = [
  path.join(DIST, 'kimi-vision.cjs'),
  path.join(DIST, 'cli.cjs'),
  path.join(DIST, 'describe.cjs'),
  ...VENDOR.map((name) => path.join(DIST, 'vendor', `${name}.cjs`)),
];
const ran = await trainingCoverage(ROOT);
for (const file of outputs) {
  const source = readFileSync(file, 'utf8');
  const offsets = ran.get(file);
  if (offsets) writeFileSync(file, markEager(source, offsets).code);
  // (A build for profiling, KV_BUILD_MINIFY=0, keeps the comments, which need not be ASCII.)
  const other = common.minify ? /[^\x00-\x7f]/.exec(source) : null;
  if (other) {
    const around = JSON.stringify(source.slice(Math.max(0, other.index - 40), other.index + 10));
    const fix = file.includes(`${path.sep}vendor${path.sep}`) ? 'a dependency brought it: have scripts/build.mjs escape it in that bundle' : 'write it as an escape in the source';
    throw new Error(`${path.relative(ROOT, file)}: a character that is not ASCII at offset ${other.index} (${around}); ${fix}.`);
  }
}
