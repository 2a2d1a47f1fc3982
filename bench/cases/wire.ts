// Case 4: overhead on the wire. The emulator waits 300 ms before the first answer byte; describe with
// 30 MB of images vs curl posting the same precomputed body (target: at most 1.10x), and the time from
// the emulator writing the first answer event to that text reaching the CLI's stdout (target: 5 ms).
// The emulator is the one in the bench's process: its onSseEvent hook and the child's first stdout
// byte are timed on one clock.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveInputs } from '../../src/inputs/resolve.js';
import { makePlan } from '../../src/plan/plan.js';
import { bodyToString } from '../../src/request/body.js';
import { defaultPrompt, describeMessages } from '../../src/request/messages.js';
import { API_KEY, apiEnv, type BenchContext } from '../context.js';
import { imageSet, MB, WORK } from '../fixtures.js';
import { BIN, childEnv, NODE, onOwnCpu, ROOT, runOk, stats, type Measured } from '../measure.js';
import { mb, ms, spread, verdict, type CaseResult, type Row } from '../report.js';

const NAIVE = path.join(ROOT, 'bench', 'naive.mjs');
const FIRST_BYTE_HOOK = path.join(ROOT, 'bench', 'firstbyte.mjs');
const LATENCY_MS = 300;

/** Writes the body kimi-vision would send for these files, with its own planBody/bodyToString. */
async function writeBody(files: readonly string[], out: string): Promise<number> {
  const images = await resolveInputs(files, { cwd: ROOT, readStdin: async () => new Uint8Array() });
  const plan = makePlan(images, describeMessages(images, defaultPrompt(images.length)), { model: 'kimi-k2.6', stream: true }, 'CNY');
  writeFileSync(out, await bodyToString(plan.body));
  return plan.body.bytes;
}

function hasContent(payload: string): boolean {
  if (!payload.startsWith('{')) return false;
  try {
    const content = (JSON.parse(payload) as { choices?: { delta?: { content?: unknown } }[] }).choices?.[0]?.delta?.content;
    return typeof content === 'string' && content.length > 0;
  } catch {
    return false;
  }
}

export async function wireCase(ctx: BenchContext): Promise<CaseResult> {
  const set = imageSet('wire-30mb', 3, 10 * MB, { width: 4000, height: 3000 });
  const bodyFile = path.join(WORK, 'wire-body.json');
  const bytes = await writeBody(set.files, bodyFile);
  if (!existsSync(bodyFile) || statSync(bodyFile).size !== bytes) throw new Error('wire: the precomputed body has the wrong size');
  // Whole events, no slicing: the time measured is the client's, not the emulator's dribble.
  let firstContentAt: number | undefined;
  ctx.emu.set({
    firstByteDelayMs: LATENCY_MS,
    splitWrites: false,
    onSseEvent: (payload) => {
      if (firstContentAt === undefined && hasContent(payload)) firstContentAt = performance.now();
    },
  });
  const env = childEnv(apiEnv(ctx, ctx.emu));
  const url = `${ctx.emu.baseUrl}/chat/completions`;
  const tools = {
    curl: { cmd: 'curl', args: ['-sS', '-o', '/dev/null', '-H', `authorization: Bearer ${API_KEY}`, '-H', 'content-type: application/json', '--data-binary', `@${bodyFile}`, url] },
    cli: { cmd: NODE, args: [BIN, 'describe', '-q', ...set.files] },
    naive: { cmd: NODE, args: [NAIVE, ...set.files] },
  };
  // The hook that times the inside of a client (bench/firstbyte.mjs) costs its start-up ~8 ms (the
  // ESM loader, node:net) and patches every socket read: it runs in runs of its own, not in the
  // timed ones.
  const hooked = (t: { cmd: string; args: string[] }) => ({ ...t, args: ['--import', FIRST_BYTE_HOOK, ...t.args] });
  const wall: Record<keyof typeof tools, number[]> = { curl: [], cli: [], naive: [] };
  /** Emulator writes the first answer event -> the bench reads the client's stdout (same clock). */
  const firstByte: Record<'curl' | 'cli' | 'naive', number[]> = { curl: [], cli: [], naive: [] };
  /**
   * Inside the client: the socket read that carries the first answer text -> the first stdout write.
   * A diagnostic only: it misses the time the bytes sit in the kernel while the client is busy.
   */
  const inside: Record<'cli' | 'naive', number[]> = { cli: [], naive: [] };
  const hookFile = path.join(WORK, 'firstbyte.json');
  const onOwnCores: Record<'curl' | 'cli', number[]> = { curl: [], cli: [] };
  let pinnedOn: string | undefined;
  // The floor of this measurement: `curl -N` printing the raw event stream, timed to the arrival of
  // the first whole event that carries answer text.
  const curlStream = { ...tools.curl, args: ['-N', ...tools.curl.args.filter((a) => a !== '-o' && a !== '/dev/null')] };
  try {
    for (let i = 0; i < ctx.runs; i++) {
      ctx.log(`wire: run ${i + 1}/${ctx.runs}`);
      for (const key of Object.keys(tools) as (keyof typeof tools)[]) {
        firstContentAt = undefined;
        ctx.emu.reset();
        const r: Measured = await runOk({ ...tools[key], env });
        const req = ctx.emu.chatRequests()[0];
        if (ctx.emu.chatRequests().length !== 1 || req?.status !== 200) throw new Error(`wire: ${key} did not make exactly one successful request`);
        if (key === 'cli' && req.bodyBytes !== bytes) throw new Error(`wire: the CLI sent ${req.bodyBytes} bytes, the precomputed body has ${bytes}`);
        wall[key].push(r.wallMs);
        if (key !== 'curl') {
          if (firstContentAt === undefined || r.firstStdoutAt === undefined) throw new Error(`wire: no answer text seen for ${key}`);
          firstByte[key].push(r.firstStdoutAt - firstContentAt);
        }
      }
      for (const key of ['cli', 'naive'] as const) {
        ctx.emu.reset();
        rmSync(hookFile, { force: true });
        await runOk({ ...hooked(tools[key]), env: { ...env, KV_BENCH_FIRSTBYTE_FILE: hookFile } });
        const hook = JSON.parse(readFileSync(hookFile, 'utf8')) as { socketAt?: number; stdoutAt?: number };
        if (hook.socketAt === undefined || hook.stdoutAt === undefined) throw new Error(`wire: the first-byte hook saw no answer in ${key}`);
        inside[key].push(hook.stdoutAt - hook.socketAt);
      }
    }
    for (let i = 0; i < ctx.runs; i++) {
      firstContentAt = undefined;
      let text = '';
      let seenAt: number | undefined;
      const onStdout = (chunk: Buffer, at: number) => {
        text += chunk.toString('latin1');
        if (seenAt === undefined && text.split('\n').some((l) => l.startsWith('data: ') && hasContent(l.slice(6)))) seenAt = at;
      };
      await runOk({ ...curlStream, env, onStdout });
      if (firstContentAt === undefined || seenAt === undefined) throw new Error('wire: no answer text seen for curl -N');
      firstByte.curl.push(seenAt - firstContentAt);
    }
    // The same, with the server and the client on a core each: on a machine of two cores the
    // emulator shares the CPU with whatever the client runs beside its main thread (V8's compiler
    // and collector threads, libuv's), which curl does not have (bench/README.md, "wire").
    pinnedOn = await onOwnCpu(process.pid, async ({ server, client, onClient }) => {
      for (let i = 0; i < ctx.runs; i++) {
        for (const key of ['curl', 'cli'] as const) {
          ctx.emu.reset();
          const r = await runOk({ ...onClient(tools[key]), env });
          if (ctx.emu.chatRequests()[0]?.status !== 200) throw new Error(`wire: ${key} on its own CPU did not make a successful request`);
          onOwnCores[key].push(r.wallMs);
        }
      }
      return `on CPU ${client} (the emulator on CPU ${server})`;
    });
  } finally {
    ctx.emu.set({ firstByteDelayMs: 0, splitWrites: true, onSseEvent: undefined });
  }
  const curl = stats(wall.curl);
  const label = `4. wire: ${mb(set.totalBytes)} of images, body ${mb(bytes)}, ${LATENCY_MS} ms to first byte`;
  const row = (tool: string, xs: number[], target: string): Row => {
    const s = stats(xs);
    return { case: label, tool, median: ms(s.median), spread: spread(s), rss: '', target };
  };
  const fb = (what: string, tool: string, xs: number[], target: string): Row => {
    const s = stats(xs);
    return { case: `4. wire: first answer byte, ${what}`, tool, median: ms(s.median), spread: spread(s), rss: '', target };
  };
  const IN = 'socket read -> stdout write, inside the client';
  const E2E = "emulator write -> bench reads the client's stdout";
  return {
    rows: [
      row('curl (same body)', wall.curl, 'baseline'),
      row('kimi-vision describe -q', wall.cli, verdict(stats(wall.cli).median / curl.median, 1.1, 'curl')),
      row('naive baseline (openai SDK)', wall.naive, `${(stats(wall.naive).median / curl.median).toFixed(2)}x curl`),
      ...(pinnedOn !== undefined
        ? [
            row(`curl, ${pinnedOn}`, onOwnCores.curl, 'diagnostic: baseline'),
            row(`kimi-vision describe -q, ${pinnedOn}`, onOwnCores.cli, `diagnostic: ${(stats(onOwnCores.cli).median / stats(onOwnCores.curl).median).toFixed(2)}x curl`),
          ]
        : []),
      fb(E2E, 'curl -N (raw events: the floor of this measurement)', firstByte.curl, 'baseline'),
      fb(E2E, 'kimi-vision describe -q', firstByte.cli, verdict(stats(firstByte.cli).median, 5, '', ms)),
      fb(E2E, 'naive baseline (openai SDK)', firstByte.naive, ''),
      fb(IN, 'kimi-vision describe -q', inside.cli, 'diagnostic: excludes time the bytes wait unread'),
      fb(IN, 'naive baseline (openai SDK)', inside.naive, 'diagnostic'),
    ],
  };
}
