#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli, wholeNumberArgument } from '@iad-r1/errors';
import { version } from '../package.json';
import { TEST_PROMPT_NAMES, type TestPromptName } from '@iad-r1/cot-schema';
import { type AnomalyDataset, DATASET_KINDS, type DatasetKind, readDataset, readMmadManifest, readSyntheticSet } from '@iad-r1/datasets';
import type { VisionLanguageModel } from '@iad-r1/models';
import { OpenAICompatibleModel } from '@iad-r1/models/openai';
import { ANSWER_PARSINGS, type AnswerScoring, UNPARSED_POLICIES } from './answer-scoring';
import { compareRuns, readComparedRun } from './compare-runs';
import { evaluate, rescore } from './evaluate';
import { importPublishedAnswers, writeImportedRun } from './import-answers';
import { summarise } from './metrics';
import { comparisonMarkdown } from './reports/comparison-report';
import { markdownReport } from './reports/markdown-report';
import { writeComparison, writeReports } from './reports/write-reports';

async function loadDatasets(kind: DatasetKind | 'mmad', root: string, manifest: string | undefined, templates: 'similar' | 'random'): Promise<AnomalyDataset[]> {
  if (kind === 'mmad') {
    if (!manifest) throw new InvalidArgumentError('--dataset mmad needs --manifest FILE');
    return [await readMmadManifest(manifest, { root, references: templates })];
  }
  // A generated synthetic set: evaluate its six held-out benchmarks.
  if (kind === 'synthetic' && existsSync(join(root, 'synthetic.json'))) return Object.values((await readSyntheticSet(root)).benchmarks);
  return [await readDataset(kind, root)];
}

/** An in-process model from a checkpoint folder; TensorFlow.js (an optional peer) loads only here. */
async function localModel(dir: string, options: { backend?: string; maxMemory?: number; maxPixels?: number; multiImage?: 'square' | 'anyres' }): Promise<VisionLanguageModel> {
  let models: typeof import('@iad-r1/models/tfjs');
  try {
    models = await import('@iad-r1/models/tfjs');
  } catch (error) {
    throw new InvalidArgumentError(`--model local:DIR runs the model in process and needs TensorFlow.js: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm sharp (${(error as Error).message.split('\n')[0]})`);
  }
  await models.selectBackend({ ...(options.backend ? { prefer: options.backend as 'wasm' } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  return models.loadModel(dir, { ...(options.maxMemory ? { maxMemoryBytes: options.maxMemory * 1024 ** 3 } : {}), ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}), ...(options.multiImage ? { multiImage: options.multiImage } : {}) });
}

async function createModel(spec: string, options: { baseUrl?: string; apiKeyEnv: string; concurrency: number; backend?: string; maxMemory?: number; maxPixels?: number; multiImage?: 'square' | 'anyres' }, flag = '--model'): Promise<VisionLanguageModel> {
  const [kind, ...rest] = spec.split(':');
  const name = rest.join(':');
  if (kind === 'local' && name) return localModel(name, options);
  if (kind === 'openai' && name) {
    if (!options.baseUrl) throw new InvalidArgumentError(`${flag} openai:NAME needs --base-url URL (e.g. http://127.0.0.1:8000/v1)`);
    return new OpenAICompatibleModel({
      model: name,
      baseUrl: options.baseUrl,
      apiKeyEnv: options.apiKeyEnv,
      concurrency: options.concurrency,
      log: (line) => process.stderr.write(`\n${line}\n`),
    });
  }
  throw new InvalidArgumentError(`${flag}: unknown model ${JSON.stringify(spec)}; supported: openai:NAME, local:DIR`);
}

// The scoring flags of run, score, import and compare.
function addScoringOptions(command: Command): Command {
  return command
    .addOption(new Option('--parsing <rule>', "how answers are read: iad-r1 (ours) or authors (the authors' scripts: first one-line <answer>, option match)").choices([...ANSWER_PARSINGS]).default('iad-r1'))
    .addOption(new Option('--unparsed <policy>', "an unreadable answer counts as wrong, or is dropped from the counts (MMAD's scorer)").choices([...UNPARSED_POLICIES]).default('wrong'));
}

const scoringOf = (options: { parsing: string; unparsed: string }): AnswerScoring => ({ parsing: options.parsing as AnswerScoring['parsing'], unparsed: options.unparsed as AnswerScoring['unparsed'] });

const program = setUpCli(
  new Command()
    .name('iad-r1-eval')
    .description("Evaluate a vision-language model on anomaly-detection benchmarks with the IAD-R1 protocol (balanced accuracy k-shot, interpretation, consistency), score runs the authors' way, import published answers, compare runs.")
    .showHelpAfterError(),
  version,
);

const runCommand = program
  .command('run')
  .description('ask every test image, write answers as they arrive, then summary.json, report.md and report.html; re-running resumes')
  .addOption(new Option('--dataset <kind>', 'benchmark layout').choices([...DATASET_KINDS, 'mmad']).makeOptionMandatory())
  .requiredOption('--root <dir>', 'data root (for synthetic: the generated set, to evaluate its six benchmarks)')
  .option('--manifest <file>', 'MMAD-style manifest (with --dataset mmad)')
  .requiredOption('--model <spec>', 'model to ask: openai:NAME (a served model, with --base-url) or local:DIR (a checkpoint folder run in process: Qwen2-VL, Qwen2.5-VL, TinyVLM, …)')
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend for local:DIR').choices(['node-gpu', 'node', 'wasm', 'cpu']))
  .addOption(new Option('--max-memory <GB>', 'local:DIR: refuse a model whose float32 inference estimate exceeds this (default: the machine\'s memory)').argParser((v) => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError('must be a positive number of GB');
    return n;
  }))
  .addOption(new Option('--max-pixels <n>', 'local:DIR with an image processor that resizes (Qwen2-VL): the pixel budget per image (the authors train with 480000)').argParser(wholeNumberArgument(1)))
  .addOption(new Option('--multi-image <mode>', 'local:DIR with LLaVA-OneVision, k-shot prompts: square (each image whole, as current transformers) or anyres (each tiled, as older releases)').choices(['square', 'anyres']))
  .option('--base-url <url>', 'OpenAI-compatible endpoint including /v1')
  .option('--api-key-env <name>', 'environment variable holding the API key', 'OPENAI_API_KEY')
  .addOption(new Option('--shots <k>', 'k normal reference images before the query (0: the query alone)').argParser(wholeNumberArgument(0)).default(0))
  .addOption(new Option('--templates <list>', "--dataset mmad: which template list gives the references (the authors' scripts use random unless told --similar_template)").choices(['similar', 'random']).default('similar'))
  .addOption(new Option('--grid-size <n>', 'side of the grid <location> answers are scored on').argParser(wholeNumberArgument(1)).default(3))
  .option('--judge <spec>', 'also ask this model whether each reasoning supports its answer: openai:NAME (with --judge-base-url or --base-url) or local:DIR')
  .option('--judge-base-url <url>', 'OpenAI-compatible endpoint of the judge (default: --base-url)')
  .addOption(new Option('--prompt <family>', 'prompt family of docs/METHOD.md §2').choices([...TEST_PROMPT_NAMES]).default('iad-r1'))
  .addOption(new Option('--concurrency <n>', 'requests in flight').argParser(wholeNumberArgument(1)).default(4))
  .addOption(new Option('--batch-size <n>', 'images per generate call (for local: models; a served model answers one at a time)').argParser(wholeNumberArgument(1)).default(1))
  .addOption(new Option('--limit <n>', 'at most N images per dataset (seeded pick)').argParser(wholeNumberArgument(1)))
  .addOption(new Option('--seed <n>', 'seed for references and --limit').argParser(wholeNumberArgument(0)).default(0))
  .addOption(new Option('--max-new-tokens <n>', 'decoding budget').argParser(wholeNumberArgument(1)).default(512))
  .requiredOption('--out <dir>', 'output folder (resumable)')
  .option('--force', 'resume from an answers.jsonl that has no run.json, taking its answers as answers to this run')
  .addHelpText('after', '\nExamples:\n  iad-r1-eval run --dataset mvtec --root /data/mvtec --model openai:Qwen/Qwen2.5-VL-7B-Instruct \\\n    --base-url http://127.0.0.1:8000/v1 --shots 1 --prompt base --out runs/qwen-mvtec-1shot\n  iad-r1-eval run --dataset mvtec --root /data/mvtec --model local:models/Qwen2.5-VL-3B-Instruct --max-pixels 480000 --concurrency 1 --out runs/local');
addScoringOptions(runCommand)
  .action(async (options) => {
    const datasets = await loadDatasets(options.dataset, options.root, options.manifest, options.templates);
    const model = await createModel(options.model, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, backend: options.backend, maxMemory: options.maxMemory, maxPixels: options.maxPixels, multiImage: options.multiImage });
    const judgeBaseUrl = options.judgeBaseUrl ?? options.baseUrl;
    const judge = options.judge ? await createModel(options.judge, { ...(judgeBaseUrl ? { baseUrl: judgeBaseUrl } : {}), apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, backend: options.backend, maxMemory: options.maxMemory }, '--judge') : undefined;
    const controller = new AbortController();
    process.once('SIGINT', () => {
      process.stderr.write('\ninterrupted: answers so far are saved; re-run the same command to resume\n');
      controller.abort(new Error('interrupted'));
    });
    const bar = new SingleBar({ format: 'eval |{bar}| {value}/{total} images | {rate} img/s | ETA {eta_formatted} | balanced acc {ba}', stream: process.stderr, hideCursor: true, etaBuffer: 20 });
    let started = false;
    const startTime = Date.now();
    const result = await evaluate({
      model,
      datasets,
      shots: options.shots,
      gridSize: options.gridSize,
      scoring: scoringOf(options),
      ...(judge ? { judge } : {}),
      prompt: options.prompt as TestPromptName,
      out: options.out,
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      seed: options.seed,
      maxNewTokens: options.maxNewTokens,
      signal: controller.signal,
      runSettings: { dataset: options.dataset, manifest: options.manifest ? resolve(options.manifest) : null, ...(options.dataset === 'mmad' ? { templates: options.templates } : {}) },
      force: options.force === true,
      log: (line) => process.stderr.write(`${line}\n`),
      onProgress: ({ done, total, summary }) => {
        if (!started) {
          bar.start(total, done - 1, { rate: '0.0', ba: '–' });
          started = true;
        }
        const rate = (done / Math.max(0.001, (Date.now() - startTime) / 1000)).toFixed(1);
        bar.update(done, { rate, ba: summary.average.balancedAccuracy.toFixed(1) });
      },
    });
    if (started) bar.stop();
    if (result.answers.length === 0) process.stdout.write(`no answers: ${result.failures.length ? `all ${result.failures.length} request(s) failed (see above)` : 'no test image was asked'}; nothing to score\n`);
    else process.stdout.write(`${markdownReport(result.summary, { model: model.id, shots: Number(options.shots), prompt: options.prompt }).split('\n').slice(4, 7).join('\n')}\n`);
    process.stdout.write(`answers, summary.json, report.md and report.html in ${options.out}\n`);
    if (result.failures.length > 0) {
      process.stderr.write(`${result.failures.length} image(s) failed after retries; re-run the same command to ask them again\n`);
      process.exitCode = 3;
    }
    if (controller.signal.aborted) process.exitCode = 130;
  });

addScoringOptions(
  program
    .command('score')
    .description('rebuild summary.json, report.md and report.html from an answers.jsonl, under the scoring rules given')
    .requiredOption('--answers <file>', 'answers.jsonl of a run')
    .requiredOption('--out <dir>', 'where to write the reports')
    .addHelpText('after', '\nExamples:\n  iad-r1-eval score --answers runs/qwen/answers.jsonl --out runs/qwen\n  iad-r1-eval score --answers runs/qwen/answers.jsonl --out runs/qwen-authors --parsing authors --unparsed drop'),
).action(async (options: { answers: string; out: string; parsing: string; unparsed: string }) => {
  const summary = await rescore(options.answers, options.out, scoringOf(options));
  process.stdout.write(`${JSON.stringify(summary.average)}\n`);
});

addScoringOptions(
  program
    .command('import')
    .description("read the authors' or MMAD's answers JSON ([{image, question, question_type, correct_answer, gpt_answer}]) into a run folder and score it")
    .requiredOption('--answers <file>', 'the answers JSON')
    .requiredOption('--out <dir>', 'run folder to write (answers.jsonl, run.json, summary.json, report.md, report.html)')
    .requiredOption('--model <label>', 'what produced the answers (the row label in compare)')
    .addOption(new Option('--shots <k>', 'the k the answers were made with').argParser(wholeNumberArgument(0)).default(0))
    .addHelpText('after', "\nExample:\n  iad-r1-eval import --answers result/Qwen/test_MVTec/answers_0_shot_Qwen2.5-VL-3B_vllm.json \\\n    --model 'IAD-R1 Qwen2.5-VL-3B (authors)' --out runs/authors-qwen3b-mvtec --parsing authors"),
).action(async (options: { answers: string; out: string; model: string; shots: number; parsing: string; unparsed: string }) => {
  const imported = await importPublishedAnswers(options.answers);
  await writeImportedRun(options.out, imported, { source: resolve(options.answers), model: options.model, shots: options.shots });
  const summary = summarise(imported.answers, scoringOf(options));
  await writeReports(options.out, { summary, answers: imported.answers, config: { model: options.model, shots: options.shots, prompt: 'imported' }, failures: 0 });
  const total = (pick: (d: (typeof summary.datasets)[string]) => number): number => Object.values(summary.datasets).reduce((n, d) => n + pick(d), 0);
  // With drop, an invalid choice (the authors' E) is still counted, as wrong: only the rest is dropped.
  const unreadable = total((d) => d.unparsed);
  const dropped = imported.answers.length - total((d) => d.n);
  process.stdout.write(`${imported.answers.length} anomaly-detection answers imported (${imported.otherQuestions} other questions left out; ${unreadable} unreadable: ${dropped} dropped, ${unreadable - dropped} counted wrong)\n`);
  process.stdout.write(`${markdownReport(summary, { model: options.model, shots: options.shots, prompt: 'imported' }).split('\n').slice(4, 7).join('\n')}\n`);
});

addScoringOptions(
  program
    .command('compare')
    .description("compare run folders in the paper's Table 4 layout, with differences to the first row, McNemar p-values, interpretation and consistency; writes comparison.{json,md,html}")
    .argument('<runs...>', 'run folders, each optionally RUN_DIR=LABEL (runs with one label and different k share a row)')
    .requiredOption('--out <dir>', 'where to write comparison.json, comparison.md, comparison.html')
    .option('--title <text>', 'title of the HTML page', 'IAD-R1 run comparison')
    .addHelpText('after', '\nExample:\n  iad-r1-eval compare runs/base-0shot=Base runs/base-1shot=Base runs/iad-r1-0shot=IAD-R1 runs/iad-r1-1shot=IAD-R1 --out runs/compare'),
).action(async (runs: string[], options: { out: string; title: string; parsing: string; unparsed: string }) => {
  const scoring = scoringOf(options);
  const read = await Promise.all(
    runs.map((spec) => {
      const at = spec.indexOf('=');
      return at < 0 ? readComparedRun(spec, { scoring }) : readComparedRun(spec.slice(0, at), { label: spec.slice(at + 1), scoring });
    }),
  );
  const table = compareRuns(read, scoring);
  await writeComparison(options.out, table, { title: options.title });
  process.stdout.write(`${comparisonMarkdown(table)}\ncomparison.json, comparison.md and comparison.html in ${options.out}\n`);
});

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-eval', error));
