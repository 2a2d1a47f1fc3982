// Builds dist/ from src/ (run by `npm run build`, and by `prepare` on `npm ci`).
//
// Start-up is most of what a CLI run costs, so dist/ is laid out for it:
// - dist/kimi-vision.cjs: the CLI itself (our code, commander, eventsource-parser) as one CommonJS
//   file. CommonJS because Node 20's ESM loader costs more per run than the code it loads, and because
//   a CommonJS file can be compiled with V8's code cache (bin/kimi-vision.js does that; Node 20 has no
//   module.enableCompileCache).
// - dist/vendor/<package>.cjs: the heavy dependencies the CLI loads only on some paths (undici to send,
//   ora and chalk on a terminal, ajv for --schema, fast-glob for globs), each bundled on its own so
//   a run that does not need one never reads it. The CLI's `import('undici')` becomes a require of
//   './vendor/undici.cjs', which the shim also loads through the code cache.
// - dist/help.json: `--help` and `--version` text rendered from the same commander program, so those
//   answers load no command at all.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const VENDOR = ['undici', 'ajv', 'ora', 'chalk', 'fast-glob'];
/** The ones published as ES modules only; the others are CommonJS. */
const ESM_VENDOR = ['ora', 'chalk'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
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
 * becomes `require('./vendor/undici.cjs')` (which the shim resolves), and `import('node:v8')` or
 * `import('sharp')` a require too. (esbuild keeps an external dynamic import as import(), which a
 * script compiled by the shim could only run through the ESM loader.)
 */
const lazyRequire = {
  name: 'lazy-require',
  setup(b) {
    const vendor = new RegExp(`^(${VENDOR.join('|')})$`);
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.namespace === 'lazy-require') return { path: args.path, external: true };
      if (vendor.test(args.path)) return { path: `./vendor/${args.path}.cjs`, namespace: 'lazy-require' };
      const outside = args.path.startsWith('node:') || args.path === 'sharp';
      return args.kind === 'dynamic-import' && outside ? { path: args.path, namespace: 'lazy-require' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => {
      const id = JSON.stringify(args.path);
      // An ES module package keeps its named and default exports; a CommonJS one is its module.exports.
      const esm = ESM_VENDOR.some((name) => args.path === `./vendor/${name}.cjs`);
      return { contents: esm ? `export * from ${id}; export { default } from ${id};` : `module.exports = require(${id});`, loader: 'js' };
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
  const contents = ESM_VENDOR.includes(name) ? `export * from '${name}'; export { default } from '${name}';` : `module.exports = require('${name}');`;
  return { stdin: { contents, resolveDir: ROOT, loader: 'js' } };
};

await Promise.all([
  build({ ...common, entryPoints: [path.join(ROOT, 'src/main.ts')], outfile: path.join(DIST, 'kimi-vision.cjs'), plugins: [lazyChildProcess, lazyRequire] }),
  ...VENDOR.map((name) =>
    build({ ...common, ...vendorEntry(name), outfile: path.join(DIST, 'vendor', `${name}.cjs`) }),
  ),
]);

// help.json: render the help of the program the bundle carries, from a throwaway bundle of cli/program.ts.
const renderer = path.join(DIST, '.render-help.cjs');
await build({ ...common, entryPoints: [path.join(ROOT, 'src/cli/program.ts')], outfile: renderer, plugins: [lazyChildProcess, lazyRequire] });
try {
  const { renderHelp } = createRequire(import.meta.url)(renderer);
  writeFileSync(path.join(DIST, 'help.json'), JSON.stringify(renderHelp()));
} finally {
  rmSync(renderer, { force: true });
}
