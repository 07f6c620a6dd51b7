#!/usr/bin/env node
import { readTextFile } from '@iad-r1/datasets';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli, wholeNumberArgument } from '@iad-r1/errors';
import { version } from '../package.json';
import { COARSE_TYPES, type CoarseType } from '@iad-r1/cot-schema';
import { OpenAICompatibleModel } from '@iad-r1/models/openai';
import { z } from 'zod';
import { describePairs, type StepSummary } from './describe-step';
import type { Describer } from './describers/describer';
import { templateDescriber } from './describers/template-describer';
import { vlmDescriber } from './describers/vlm-describer';
import { type ExpertAdStats, integrate } from './integrate';
import { PAPER_PA_SFT_SHARE } from './split-for-stages';
import { EXPERT_AD_SOURCES, type ExpertAdSource, loadSource } from './load-source';
import { prepareStep } from './prepare-step';
import { startReviewServer } from './review/review-server';
import { type ExpertAdStep, runExpertAdPipeline } from './run-pipeline';
import { thinkPairs } from './think-step';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
}

const typeMapSchema = z.record(z.string(), z.enum(COARSE_TYPES));

async function readTypeMap(file: string | undefined): Promise<Record<string, CoarseType> | undefined> {
  if (!file) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await readTextFile(file));
  } catch (error) {
    throw new InvalidArgumentError(`${file}: ${(error as Error).message}`);
  }
  const parsed = typeMapSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(`${file}: entry ${JSON.stringify(issue?.path.join('.'))}: must be one of ${COARSE_TYPES.join(', ')}`);
  }
  return parsed.data;
}

function createDescriber(spec: string, options: { baseUrl?: string; apiKeyEnv: string; concurrency: number; seed: number }): Describer {
  if (spec === 'template') return templateDescriber({ seed: options.seed });
  const [kind, ...rest] = spec.split(':');
  const name = rest.join(':');
  if (kind === 'openai' && name) {
    if (!options.baseUrl) throw new InvalidArgumentError('--describer openai:NAME needs --base-url URL (e.g. http://127.0.0.1:8000/v1)');
    return vlmDescriber(
      new OpenAICompatibleModel({ model: name, baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, log: (line) => say(`\n${line}`) }),
    );
  }
  throw new InvalidArgumentError(`unknown describer ${JSON.stringify(spec)}; use template or openai:NAME`);
}

/** A progress bar per step, on stderr. */
function progressBars() {
  let bar: SingleBar | undefined;
  let current: string | undefined;
  return {
    update(step: string, done: number, total: number) {
      if (current !== step) {
        bar?.stop();
        current = step;
        bar = new SingleBar({ format: `${step.padEnd(9)} |{bar}| {value}/{total} pairs | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 });
        bar.start(total, done);
      } else {
        bar?.update(done);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
      current = undefined;
    },
  };
}

function reportStep(step: string, summary: StepSummary): void {
  const parts = [`${summary.written} written`, `${summary.resumed} already done`];
  if (summary.flagged) parts.push(`${summary.flagged} flagged`);
  if (summary.failed.length) parts.push(`${summary.failed.length} failed (re-run to retry)`);
  say(`${step}: ${parts.join(', ')} of ${summary.total}`);
}

function printStats(stats: ExpertAdStats, out: string): void {
  say(`\n${stats.records} records (${stats.byLabel.anomalous} anomalous, ${stats.byLabel.normal} normal) → PA-SFT ${stats.split.paSft}, SC-GRPO ${stats.split.scGrpo}`);
  say(`review: ${stats.review.accepted} accepted, ${stats.review.edited} edited, ${stats.review.autoAccepted} auto-accepted, ${stats.review.rejected} rejected, ${stats.review.pending} pending; ${stats.flagged} flagged by the think step, ${stats.unfinished} unfinished`);
  say('per category:');
  for (const [category, c] of Object.entries(stats.byCategory)) say(`  ${category.padEnd(24)} ${String(c.anomalous).padStart(5)} anomalous ${String(c.normal).padStart(5)} normal`);
  say('per type:');
  for (const [type, n] of Object.entries(stats.byType)) say(`  ${type.padEnd(28)} ${String(n).padStart(5)}`);
  say('per location:');
  for (const [where, n] of Object.entries(stats.byLocation)) say(`  ${where.padEnd(28)} ${String(n).padStart(5)}`);
  say(`\nwrote expert-ad.jsonl, pa-sft.json, pa-sft-1shot.json, sc-grpo.json, sc-grpo-1shot.json, dataset_info.json, split.json, stats.json in ${out}`);
}

function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    say('\ninterrupted: finished pairs are saved; re-run the same command to resume');
    controller.abort(new Error('interrupted'));
  });
  return controller.signal;
}

const program = setUpCli(
  new Command()
    .name('iad-r1-expert-ad')
    .description('Build an Expert-AD chain-of-thought training set: prepare → describe → think → review → integrate. Every step resumes from its files in --out.')
    .showHelpAfterError(),
  version,
);

const sourceOptions = (command: Command): Command =>
  command
    .addOption(new Option('--source <kind>', 'where the images come from').choices([...EXPERT_AD_SOURCES]).makeOptionMandatory())
    .requiredOption('--root <dir>', 'data root (synthetic: generated there when empty)')
    .option('--image-folder <name>', 'Real-IAD image folder, e.g. realiad_256')
    .option('--categories <list>', 'comma-separated categories to use')
    .addOption(new Option('--seed <n>', 'seed for pairing, templates and the split').argParser(wholeNumberArgument(0)).default(0))
    .addOption(new Option('--grid-size <n>', 'location grid side').argParser(wholeNumberArgument(1)).default(3))
    .addOption(new Option('--per-category <n>', 'at most N anomalous and N normal queries per category').argParser(wholeNumberArgument(1)))
    .option('--type-map <file>', 'JSON {defect name: coarse type} for defect names the built-in rules do not know');

const generationOptions = (command: Command): Command =>
  command
    .option('--describer <spec>', 'template (offline) or openai:MODEL', 'template')
    .option('--base-url <url>', 'OpenAI-compatible endpoint including /v1')
    .option('--api-key-env <name>', 'environment variable holding the API key', 'OPENAI_API_KEY')
    .addOption(new Option('--concurrency <n>', 'pairs in flight').argParser(wholeNumberArgument(1)).default(4))
    .addOption(new Option('--retries <n>', 'extra attempts after an empty or invalid reply').argParser(wholeNumberArgument(0)).default(2));

const integrateOptions = (command: Command): Command =>
  command
    .addOption(new Option('--split <share>', 'share of records for PA-SFT (the rest: SC-GRPO)').argParser(share).default(PAPER_PA_SFT_SHARE, '2.9/5.9, the paper\'s'))
    .addOption(new Option('--type-level <level>', '<type> text in the exports').choices(['coarse', 'fine']).default('coarse'));

async function prepareFrom(options: Record<string, unknown>) {
  const source = options.source as ExpertAdSource;
  const root = options.root as string;
  const categories = typeof options.categories === 'string' ? options.categories.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
  const dataset = await loadSource(source, root, { ...(options.imageFolder ? { imageFolder: options.imageFolder as string } : {}), ...(categories ? { categories } : {}), log: say });
  const typeMap = await readTypeMap(options.typeMap as string | undefined);
  return {
    dataset,
    settings: {
      seed: options.seed as number,
      gridSize: options.gridSize as number,
      ...(options.perCategory ? { perCategory: options.perCategory as number } : {}),
      ...(typeMap ? { typeMap } : {}),
      provenance: { source, root },
      onSkip: ({ id, reason }: { id: string; reason: string }) => say(`skipped ${id}: ${reason}`),
    },
  };
}

sourceOptions(program.command('prepare').description('step 1: pick balanced (reference, query) pairs; write pairs.jsonl'))
  .requiredOption('--out <dir>', 'output folder')
  .action(async (options) => {
    const { dataset, settings } = await prepareFrom(options);
    const { pairs, resumed } = await prepareStep(dataset, { ...settings, out: options.out });
    say(`${resumed ? 'reused' : 'wrote'} ${pairs.length} pairs (${pairs.filter((p) => p.label === 'anomalous').length} anomalous) in ${options.out}/pairs.jsonl`);
  });

for (const [name, step, run] of [
  ['describe', 'step 2: describe each pair with the VLM (the defect outlined for anomalous queries); append descriptions.jsonl', describePairs],
  ['think', 'step 3: distil each description into the three-layer CoT and a fine type, validated; append thoughts.jsonl', thinkPairs],
] as const) {
  generationOptions(program.command(name).description(step))
    .requiredOption('--out <dir>', 'output folder (after prepare)')
    .addOption(new Option('--seed <n>', 'seed of the template describer').argParser(wholeNumberArgument(0)).default(0))
    .action(async (options) => {
      const describer = createDescriber(options.describer, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, seed: options.seed });
      const bars = progressBars();
      const summary = await run({ out: options.out, describer, concurrency: options.concurrency, retries: options.retries, signal: interruptSignal(), log: (line) => say(`\n${line}`), onProgress: (done, total) => bars.update(name, done, total) });
      bars.stop();
      reportStep(name, summary);
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}

program
  .command('review')
  .description('step 4: open the review page on 127.0.0.1 (a accept, r reject, e edit); decisions go to reviews.jsonl at once')
  .requiredOption('--out <dir>', 'output folder (after think)')
  .addOption(new Option('--port <n>', 'port on 127.0.0.1 (0: any free port)').argParser(wholeNumberArgument(0)).default(8765))
  .action(async (options) => {
    const server = await startReviewServer({ out: options.out, port: options.port, log: say });
    say(`review page: ${server.url}  (press "Finish & integrate" there, or Ctrl+C; decisions are already saved)`);
    await Promise.race([server.finished, new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))]);
    await server.close();
    say('review closed; run `iad-r1-expert-ad integrate --out …` to export');
  });

integrateOptions(program.command('integrate').description('step 5: assemble accepted records; write expert-ad.jsonl, the PA-SFT and SC-GRPO sets, dataset_info.json and stats.json'))
  .requiredOption('--out <dir>', 'output folder (after review)')
  .option('--auto-accept', 'accept every valid record without a review decision')
  .addOption(new Option('--seed <n>', 'seed of the split').argParser(wholeNumberArgument(0)).default(0))
  .action(async (options) => {
    const { stats } = await integrate({ out: options.out, autoAccept: Boolean(options.autoAccept), paSftShare: options.split, seed: options.seed, typeLevel: options.typeLevel, log: say });
    printStats(stats, options.out);
  });

integrateOptions(generationOptions(sourceOptions(program.command('all').description('every step in order (review skipped with --auto-accept); resumable'))))
  .requiredOption('--out <dir>', 'output folder')
  .option('--auto-accept', 'skip the review and accept every valid record')
  .addOption(new Option('--port <n>', 'review page port on 127.0.0.1').argParser(wholeNumberArgument(0)).default(8765))
  .addHelpText('after', '\nExamples:\n  iad-r1-expert-ad all --source synthetic --root data/synthetic --out out/expert-ad --describer template --auto-accept\n  iad-r1-expert-ad all --source realiad --root /data/Real-IAD --image-folder realiad_256 --out out/realiad \\\n    --describer openai:Qwen/Qwen2.5-VL-72B-Instruct --base-url http://127.0.0.1:8000/v1')
  .action(async (options) => {
    const { dataset, settings } = await prepareFrom(options);
    const describer = createDescriber(options.describer, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, seed: options.seed });
    const bars = progressBars();
    const result = await runExpertAdPipeline({
      ...settings,
      dataset,
      out: options.out,
      describer,
      concurrency: options.concurrency,
      retries: options.retries,
      autoAccept: Boolean(options.autoAccept),
      paSftShare: options.split,
      typeLevel: options.typeLevel,
      port: options.port,
      signal: interruptSignal(),
      log: (line) => say(`\n${line}`),
      onProgress: (step, done, total) => bars.update(step, done, total),
      onStepDone: (step: ExpertAdStep, summary) => {
        bars.stop();
        if (summary && step !== 'prepare') reportStep(step, summary);
      },
      onReviewReady: (url) => say(`review page: ${url}  (press "Finish & integrate" when done; decisions are saved as you go)`),
    });
    if (result) printStats(result.stats, options.out);
    else process.exitCode = 130;
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-expert-ad', error));
