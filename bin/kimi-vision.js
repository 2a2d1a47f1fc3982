#!/usr/bin/env node
// The shim: runs dist/kimi-vision.cjs, compiled with V8's code cache.
//
// Compiling the CLI's JavaScript is a large part of every start, and Node 20 has no compile cache of
// its own (module.enableCompileCache arrived in Node 22.1), so this file keeps one: the code V8
// compiled for a bundle is saved after a run and handed back to V8 on the next one. One cache file per
// bundle (and, for the CLI, per command, since each command compiles a different part of it), in
// $XDG_CACHE_HOME/kimi-vision/v8/ (else ~/.cache/…), a folder only its owner can read, since the cache
// is code that runs. V8 checks every cache against the source and its own version and flags, and a
// rejected one is simply rewritten. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for Node's own.
// KIMI_VISION_DEBUG=1 says on stderr whether each bundle was a hit, a miss or rejected.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { wrap } = require('node:module');

const DIST = path.join(__dirname, '..', 'dist');
const debug = process.env.KIMI_VISION_DEBUG === '1';
const cacheDir = codeCacheDir();
/** Scripts compiled without a usable cache: their code is saved once the run has compiled it. */
const unsaved = [];

function codeCacheDir() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : process.env.HOME && path.join(process.env.HOME, '.cache');
  return base ? path.join(base, 'kimi-vision', 'v8', `${process.version}-${process.arch}`) : undefined;
}

/** The command this run executes, as part of the CLI bundle's cache name: `describe`, `chat`, … */
function commandKey() {
  const word = process.argv.slice(2).find((a) => !a.startsWith('-'));
  return word && /^[a-z]{1,20}$/.test(word) ? word : 'top';
}

/** Loads a dist/ bundle as CommonJS, through the code cache. */
function load(file, key) {
  const source = fs.readFileSync(file, 'utf8');
  const stat = fs.statSync(file);
  // A bundle loaded once the run flags are on is cached apart: V8 stamps a cache with its flags.
  const prefix = `${path.basename(file, '.cjs')}${key ? `.${key}` : ''}${runFlagsOn ? '.run' : ''}-`;
  const cacheFile = cacheDir && path.join(cacheDir, `${prefix}${stat.size}-${Math.trunc(stat.mtimeMs)}.bin`);
  let cachedData;
  try {
    if (cacheFile) cachedData = fs.readFileSync(cacheFile);
  } catch {}
  // (No import() in dist/: scripts/build.mjs turns every lazy import into a require.)
  const script = new vm.Script(wrap(source), { filename: file, cachedData });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  if (debug && cacheFile) process.stderr.write(`debug: code cache ${hit ? 'hit' : cachedData ? 'rejected' : 'miss'}: ${path.relative(DIST, file)}\n`);
  if (cacheFile && !hit) unsaved.push({ script, cacheFile, prefix, runFlags: runFlagsOn });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, requireFromDist, module, file, path.dirname(file));
  return module.exports;
}

const loaded = new Map();
/** `require` inside a bundle: './vendor/x.cjs' is another bundle, anything else is Node's. */
function requireFromDist(id) {
  if (!id.startsWith('./')) return require(id);
  const file = path.join(DIST, id);
  if (!loaded.has(file)) {
    loaded.set(file, load(file));
    if (id === './vendor/undici.cjs') runFlags(true);
  }
  return loaded.get(file);
}

/**
 * V8 flags for the part of a run that talks to the API, on from the moment undici is loaded (or
 * earlier, when the CLI asks: see below) and off again at exit:
 * - WebAssembly: undici parses HTTP with llhttp compiled to WebAssembly, and V8's optimising tier
 *   compiles it in the background, which costs ~36 MB of peak RSS for a parser that reads a few
 *   kilobytes of answer: the baseline compiler (Liftoff) alone is plenty, and compiles it when the
 *   connection opens rather than when the first answer byte arrives.
 * - Garbage collection: the young generation stays at the size it has (V8 doubles it whenever many
 *   objects survive, as when thousands of images are planned, or requests wait for a retry) and the
 *   old generation grows by 30 % of what is live rather than up to 4x. Live memory is small and flat
 *   (~15 MB); without these, peak RSS was V8's slack and grew with the length of a run (--each on
 *   2,000 images: 124 MB, against 84 MB for 200).
 * Any flag change stamps V8's caches with other flags: Node's own built-in modules loaded meanwhile
 * compile without their cache, and a code cache saved then would be rejected by the next run, hence
 * the late switch and the exact restore (liftoff-only also turns tier-up and dynamic tiering off;
 * checked on V8 11, Node 20). Only on V8 versions known to have these flags, since an unknown one
 * would print an error.
 */
let runFlagsOn = false;
function runFlags(on) {
  const major = Number(process.versions.v8.split('.')[0]);
  if (on === runFlagsOn || major < 9 || major > 14) return;
  if (on) for (const id of API_BUILTINS) require(id);
  require('node:v8').setFlagsFromString(
    on
      ? '--liftoff-only --no-wasm-lazy-compilation --semi-space-growth-factor=1 --heap-growing-percent=30'
      : '--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering --wasm-lazy-compilation --semi-space-growth-factor=2 --heap-growing-percent=0',
  );
  runFlagsOn = on;
}

/**
 * The Node built-ins a run that talks to the API loads (undici's, TLS, hashing, async file reads),
 * required before the flags change: Node compiles its built-ins with a code cache of its own, which
 * V8 rejects once the flags differ from those it was made with (they were compiled from scratch
 * then: ~20 ms of a send, more for --each, which switches before undici is loaded).
 */
const API_BUILTINS = ['node:net', 'node:http', 'node:tls', 'node:assert', 'node:perf_hooks', 'node:diagnostics_channel', 'node:crypto', 'node:fs/promises', 'node:os'];

// The CLI turns the run flags on before its work when it will send many requests (describe --each:
// thousands of images planned before undici is loaded). Absent when the CLI runs without this shim.
Object.defineProperty(globalThis, Symbol.for('kimi-vision.runFlags'), { value: () => runFlags(true) });

/** Writes the caches still unsaved, made under the flags now on (atomically; a failure only costs the next run its speed). */
function saveCodeCache(underRunFlags) {
  for (const entry of unsaved.filter((e) => e.runFlags === underRunFlags)) {
    const { script, cacheFile, prefix } = entry;
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
      for (const old of fs.readdirSync(path.dirname(cacheFile))) {
        if (old.startsWith(prefix)) fs.rmSync(path.join(path.dirname(cacheFile), old), { force: true });
      }
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, cacheFile);
    } catch (err) {
      if (debug) process.stderr.write(`debug: code cache not saved: ${err.message}\n`);
    }
  }
}

// At exit, each cache with the flags it was made under (V8 stamps a cache with its flags): those of
// bundles loaded under the run flags first, then the rest with the flags every run starts with.
process.on('exit', () => {
  if (runFlagsOn) saveCodeCache(true);
  runFlags(false);
  saveCodeCache(false);
});

load(path.join(DIST, 'kimi-vision.cjs'), commandKey());
