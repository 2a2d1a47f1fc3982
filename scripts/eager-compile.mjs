// Build step: the functions a run calls are compiled when the file is, so that Node's compile cache
// holds them.
//
// Node's compile cache (module.enableCompileCache, turned on by bin/kimi-vision.js) stores the
// bytecode V8 produced when it compiled a file, and V8 compiles a function together with its file
// only when the function looks immediately invoked: when it stands in parentheses. Every other
// function is compiled from its source the first time it is called, on every run, cache or not:
// ~370 functions on the way to a dry run's estimate, most of what a start cost above `node -e 0`.
//
// So the build runs the CLI it just bundled, as a user would (a dry run on the fixtures, a describe
// against a local server that replays a stream recorded from Moonshot, and a diff dry run for the
// bundle of the other commands), with V8's coverage on, and puts each function that ran in
// parentheses: a function expression or arrow as `(…)`, a
// function declaration as `var f = (function (…) {…});` at the top of its scope, which is where
// hoisting put it anyway. Nothing else in the file changes, and nothing changes at run time but
// which functions V8 compiles early; functions no training run calls stay lazy, so a command that
// does not need them pays nothing for them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Is this block the body of a function (the scope its declarations hoist to)? */
const functionBody = (node) => ts.isBlock(node) && node.parent !== undefined && ts.isFunctionLike(node.parent) && node.parent.body === node;

/** Where a scope's hoisted functions go: past its opening brace and its directive prologue ("use strict"). */
function prologueEnd(node, sf) {
  let at = ts.isSourceFile(node) ? node.getStart(sf) : node.getStart(sf) + 1;
  for (const s of node.statements) {
    if (!(ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression))) break;
    at = s.end;
  }
  return at;
}

/**
 * `source` with each function whose start offset (as V8's coverage gives it) is in `ran` made
 * eager, as described above. Returns the new text and how many functions were marked. Pure.
 */
export function markEager(source, ran) {
  const sf = ts.createSourceFile('bundle.js', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  let marked = 0;
  const wanted = (node) => ran.has(node.getStart(sf));
  /** The text of `node` from its first token to its end, its children transformed. */
  const emit = (node) => {
    const start = node.getStart(sf);
    const scope = ts.isSourceFile(node) || functionBody(node);
    const hoisted = [];
    let out = '';
    let cursor = start;
    ts.forEachChild(node, (child) => {
      out += source.slice(cursor, child.getStart(sf));
      cursor = child.end;
      if (scope && ts.isFunctionDeclaration(child) && child.name && child.body && wanted(child)) {
        // Anonymous, so that the body's references to the name still mean the scope's own binding
        // (a named function expression would bind the name again, read-only); the var names it.
        const text = emit(child);
        const from = child.name.getStart(sf) - child.getStart(sf);
        const to = child.name.end - child.getStart(sf);
        hoisted.push(`var ${child.name.text} = (${text.slice(0, from).trimEnd()} ${text.slice(to).trimStart()});\n`);
        marked += 1;
        return;
      }
      out += emit(child);
    });
    out += source.slice(cursor, node.end);
    if (hoisted.length > 0) {
      // Up to the end of the prologue the text is the source's own (directives are not transformed).
      const at = prologueEnd(node, sf) - start;
      out = `${out.slice(0, at)}${at > 0 ? '\n' : ''}${hoisted.join('')}${out.slice(at)}`;
    }
    if ((ts.isFunctionExpression(node) || ts.isArrowFunction(node)) && !ts.isParenthesizedExpression(node.parent) && wanted(node)) {
      marked += 1;
      return `(${out})`;
    }
    return out;
  };
  // emit() starts at the first token: what comes before it (a hashbang, a comment) stays.
  return { code: source.slice(0, sf.getStart(sf)) + emit(sf), marked };
}

/** A stream recorded from Moonshot (fixtures/moonshot-captures), replayed with the model asked for. */
function replay(root) {
  const lines = readFileSync(path.join(root, 'fixtures/moonshot-captures/stream-k2.5-usage-in-choice.jsonl'), 'utf8').split('\n').filter(Boolean);
  return (model) => `${lines.map((l) => `data: ${JSON.stringify({ ...JSON.parse(l), model })}\n\n`).join('')}data: [DONE]\n\n`;
}

/** A server on 127.0.0.1 that answers a chat completion with the recorded stream, and 404 otherwise. */
async function startTrainer(root) {
  const stream = replay(root);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"type":"resource_not_found_error","message":"not found"}}');
        return;
      }
      const { model } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).end(stream(model));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Runs the CLI once; rejects with its stderr unless it exits 0 within a minute. */
function runCli(root, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/kimi-vision.js'), ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kimi-vision ${args.join(' ')} exited ${code ?? signal} while training the build:\n${stderr}`));
    });
  });
}

/** The runs that choose what is compiled early: what most starts do (fixtures only, loopback only). */
const TRAINING = [
  // dist/describe.cjs
  ['describe', '--dry-run', 'fixtures/screenshot.png', 'fixtures/photo.jpg', 'fixtures/small.png'],
  ['describe', 'fixtures/small.png'],
  // dist/cli.cjs: the machinery the other commands share (the program, options, inputs, estimates)
  ['diff', '--dry-run', 'fixtures/diff/baseline', 'fixtures/diff/current'],
];

/**
 * The start offsets of the functions the training runs called, per file of `dist` (absolute path).
 * The runs get a home of their own, no compile cache, and the trainer as their API.
 */
export async function trainingCoverage(root) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'kv-train-'));
  const trainer = await startTrainer(root);
  try {
    const coverage = path.join(tmp, 'coverage');
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmp,
      XDG_CONFIG_HOME: path.join(tmp, 'config'),
      XDG_CACHE_HOME: path.join(tmp, 'cache'),
      XDG_STATE_HOME: path.join(tmp, 'state'),
      NODE_V8_COVERAGE: coverage,
      NODE_DISABLE_COMPILE_CACHE: '1',
      NO_COLOR: '1',
      MOONSHOT_API_KEY: 'sk-build-training',
      MOONSHOT_BASE_URL: trainer.url,
    };
    for (const args of TRAINING) await runCli(root, args, env);
    const ran = new Map();
    for (const name of readdirSync(coverage)) {
      for (const script of JSON.parse(readFileSync(path.join(coverage, name), 'utf8')).result) {
        if (!script.url.startsWith('file://')) continue;
        const file = fileURLToPath(script.url);
        const offsets = ran.get(file) ?? new Set();
        for (const fn of script.functions) if (fn.ranges[0]?.count > 0) offsets.add(fn.ranges[0].startOffset);
        ran.set(file, offsets);
      }
    }
    return ran;
  } finally {
    await trainer.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
