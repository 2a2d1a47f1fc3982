// `kimi-vision diff <inputs...>`: what changed between before and after screenshots. The steps:
// the pairs (two files, two folders, a Playwright results folder) and this shard of them, the
// local comparison (same pairs are never sent), the survey (estimate and cache), the dry run or the
// cost check, then one request per changed pair under the shared pace (src/diff/run.ts).
import { commandSettings } from '../config.js';
import { localLine, printDiffDryRun } from '../diff/dry-run.js';
import type { DiffJob } from '../diff/job.js';
import { diffSettings, type DiffOptions } from '../diff/options.js';
import { resolvePairs } from '../diff/pairs.js';
import { compareEntries, selectShard, surveyItems, type Survey } from '../diff/prepare.js';
import { DiffRun } from '../diff/run.js';
import { EXIT, MoneyError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import { withPromptFile } from '../inputs/prompt-file.js';
import type { Io } from '../io.js';
import { estimateLine } from '../output/estimate-line.js';
import { Terminal } from '../output/terminal.js';
import { apiKey } from '../settings.js';
import { AnswerCache, cacheDir } from '../store/answer-cache.js';

export type { DiffOptions };

export async function diffCommand(inputs: string[], options: DiffOptions, io: Io): Promise<number> {
  const o = await withPromptFile(options, io.cwd);
  const term = await Terminal.open(io, o.quiet);
  const { config, settings } = commandSettings(o, io.env, (line) => term.warn(line));
  const s = diffSettings(o, io.env, config.format);
  const pairs = await resolvePairs(inputs, io.cwd);
  for (const line of pairs.notes) term.warn(line);
  const job: DiffJob = {
    o,
    s,
    io,
    term,
    settings,
    ask: { expect: o.expect, prompt: o.prompt, system: o.system },
    cache: s.cache ? new AnswerCache(cacheDir(io.env)) : undefined,
    warned: new Set(),
  };
  const items = await compareEntries(job, selectShard(pairs.entries, s, term));
  term.note(localLine(items));
  const plan = await surveyItems(job, items);

  if (o.dryRun) {
    const cached = new Set(plan.hits.keys());
    printDiffDryRun({ format: s.format, model: settings.model, currency: settings.currency, items, estimates: plan.estimates, cached, total: plan.estimate }, io);
    return EXIT.ok;
  }
  const key = plan.toSend > 0 ? apiKey(io.env, config) : '';
  announce(job, plan);
  return new DiffRun(job, items, plan.hits, key).run();
}

/** The estimate line and the --max-cost check: before anything is sent. */
function announce(job: DiffJob, plan: Survey): void {
  const { term, o, settings } = job;
  const priced = hasPrice(settings.model, settings.currency);
  term.note(estimateLine(plan.estimate, { images: plan.toSend, model: settings.model, priced, perImage: { cached: plan.hits.size, skipped: 0, unit: 'pair' } }));
  if (o.maxCost !== undefined && plan.estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(plan.estimate.cost)} of ${plan.toSend} pairs is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, compare fewer pairs (--shard splits them), raise --threshold, or pick a cheaper model.',
    );
  }
}
