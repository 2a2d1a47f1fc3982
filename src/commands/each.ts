// `kimi-vision describe --each [inputs...]`: one request per image under a shared pace (-j, --rpm,
// rate limits), results in input order on stdout (text, JSONL, Markdown) and in sidecars, with a
// content-addressed cache and stable shards. The steps: inputs, selection, survey (estimate and
// cache), the dry run or the cost check, then the run (src/each/run.ts).
import { commandSettings } from '../config.js';
import { printEachDryRun, reportBadInputs } from '../each/dry-run.js';
import type { EachOptions, Job } from '../each/job.js';
import { eachSettings } from '../each/options.js';
import { ImageList } from '../each/image-list.js';
import { selectImages, survey, toSend } from '../each/prepare.js';
import { EachRun } from '../each/run.js';
import { MoneyError, UsageError } from '../errors.js';
import { hasPrice } from '../estimate/estimate.js';
import { formatMoney } from '../format.js';
import { inputFile } from '../inputs/bad-input.js';
import { withPromptFile } from '../inputs/prompt-file.js';
import type { Io } from '../io.js';
import { Terminal } from '../output/terminal.js';
import { commandEachInputs } from '../plan/inputs.js';
import { defaultPrompt, withMaxChars } from '../request/messages.js';
import { planResponse } from '../request/response.js';
import { estimateLine } from '../output/estimate-line.js';
import { looksLikeSidecar } from '../results/sidecar.js';
import { apiKey } from '../settings.js';
import { AnswerCache, cacheDir } from '../store/answer-cache.js';

export async function eachCommand(inputs: string[], options: EachOptions, io: Io): Promise<number> {
  const o = await withPromptFile(options, io.cwd);
  const term = await Terminal.open(io, o.quiet);
  const { config, settings } = commandSettings(o, io.env, (line) => term.warn(line));
  const s = eachSettings(o, io.env, config.format);
  // A bad input (missing, unreadable, not an image) stays in its place: its own failure record. Kept
  // compactly as they are read (each/image-list.ts): a run over a huge folder holds no Image values.
  const images = new ImageList(io.cwd);
  let notFiles = 0;
  const { resizer } = await commandEachInputs(inputs, o, io, term, { expected: looksLikeSidecar }, (x) => {
    if (inputFile(x) === undefined) notFiles += 1;
    images.push(x);
  });
  if (s.write && notFiles > 0) {
    throw new UsageError(`--write ${s.write} puts a sidecar next to each image file; stdin (-) and URLs are not files.`, 'Save the image to a file first, or drop --write.');
  }
  const selected = await selectImages(images, s, io, term);
  // After shards and --skip-existing: only what is sent is resized.
  const work = resizer ? ImageList.of(await resizer.resizeEach(selected.work.toArray(), term), io.cwd) : selected.work;

  const response = await planResponse(o, settings.model, io.cwd);
  const job: Job = {
    o,
    s,
    io,
    term,
    settings,
    prompt: withMaxChars(o.prompt ?? config.prompt ?? defaultPrompt(1), s.maxChars) + response.promptSuffix,
    response,
    cache: s.cache ? new AnswerCache(cacheDir(io.env)) : undefined,
    warned: new Set(),
  };
  const plan = await survey(job, work);
  const skipped = selected.skipped;

  if (o.dryRun) {
    const cached = [...plan.hits.keys()].sort((a, b) => a - b).map((i) => work.pathOf(i));
    const sending = toSend(job, work, plan.hits);
    printEachDryRun({ format: s.format, model: settings.model, currency: settings.currency, sending, toSend: plan.toSend, total: plan.estimate, cached, skipped }, io);
    return reportBadInputs(work, term);
  }
  const key = plan.toSend > 0 ? apiKey(io.env, config) : '';
  term.note(
    estimateLine(plan.estimate, {
      images: plan.toSend,
      model: settings.model,
      priced: hasPrice(settings.model, settings.currency),
      perImage: { cached: plan.hits.size, skipped: skipped.length },
    }),
  );
  if (o.maxCost !== undefined && plan.estimate.cost.amount > o.maxCost) {
    throw new MoneyError(
      `the estimated cost ${formatMoney(plan.estimate.cost)} of ${plan.toSend} images is above --max-cost ${formatMoney({ amount: o.maxCost, currency: settings.currency })}; nothing was sent.`,
      'Raise --max-cost, send fewer images (--shard splits a folder), or pick a cheaper model.',
    );
  }
  return new EachRun(job, work, plan.hits, skipped.length, key).run();
}
