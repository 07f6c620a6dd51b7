#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError } from '@iad-r1/errors';
import { TEST_PROMPT_NAMES, type TestPromptName } from '@iad-r1/cot-schema';
import { type AnomalyDataset, DATASET_KINDS, type DatasetKind, readDataset, readMmadManifest, readSyntheticSet } from '@iad-r1/datasets';
import type { VisionLanguageModel } from '@iad-r1/models';
import { OpenAICompatibleModel } from '@iad-r1/models/openai';
import { evaluate, rescore } from './evaluate';
import { markdownReport } from './reports/markdown-report';

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

async function loadDatasets(kind: DatasetKind | 'mmad', root: string, manifest: string | undefined): Promise<AnomalyDataset[]> {
  if (kind === 'mmad') {
    if (!manifest) throw new InvalidArgumentError('--dataset mmad needs --manifest FILE');
    return [await readMmadManifest(manifest, { root })];
  }
  // A generated synthetic set: evaluate its six held-out benchmarks.
  if (kind === 'synthetic' && existsSync(join(root, 'synthetic.json'))) return Object.values((await readSyntheticSet(root)).benchmarks);
  return [await readDataset(kind, root)];
}

/** An in-process model from a checkpoint folder; TensorFlow.js (an optional peer) loads only here. */
async function localModel(dir: string, options: { backend?: string; maxMemory?: number; maxPixels?: number }): Promise<VisionLanguageModel> {
  let models: typeof import('@iad-r1/models/tfjs');
  try {
    models = await import('@iad-r1/models/tfjs');
  } catch (error) {
    throw new InvalidArgumentError(`--model local:DIR runs the model in process and needs TensorFlow.js: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm sharp (${(error as Error).message.split('\n')[0]})`);
  }
  await models.selectBackend({ ...(options.backend ? { prefer: options.backend as 'wasm' } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  return models.loadModel(dir, { ...(options.maxMemory ? { maxMemoryBytes: options.maxMemory * 1024 ** 3 } : {}), ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}) });
}

async function createModel(spec: string, options: { baseUrl?: string; apiKeyEnv: string; concurrency: number; backend?: string; maxMemory?: number; maxPixels?: number }): Promise<VisionLanguageModel> {
  const [kind, ...rest] = spec.split(':');
  const name = rest.join(':');
  if (kind === 'local' && name) return localModel(name, options);
  if (kind === 'openai' && name) {
    if (!options.baseUrl) throw new InvalidArgumentError('--model openai:NAME needs --base-url URL (e.g. http://127.0.0.1:8000/v1)');
    return new OpenAICompatibleModel({
      model: name,
      baseUrl: options.baseUrl,
      apiKeyEnv: options.apiKeyEnv,
      concurrency: options.concurrency,
      log: (line) => process.stderr.write(`\n${line}\n`),
    });
  }
  throw new InvalidArgumentError(`unknown model ${JSON.stringify(spec)}; supported: openai:NAME, local:DIR`);
}

const program = new Command()
  .name('iad-r1-eval')
  .description("Evaluate a vision-language model on anomaly-detection benchmarks with the IAD-R1 protocol (balanced accuracy, 0/1-shot).")
  .showHelpAfterError();

program
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
  .addOption(new Option('--max-pixels <n>', 'local:DIR with an image processor that resizes (Qwen2-VL): the pixel budget per image (the authors train with 480000)').argParser(wholeNumber(1)))
  .option('--base-url <url>', 'OpenAI-compatible endpoint including /v1')
  .option('--api-key-env <name>', 'environment variable holding the API key', 'OPENAI_API_KEY')
  .addOption(new Option('--shots <n>', '0: query only; 1: a normal reference first').choices(['0', '1']).default('0'))
  .addOption(new Option('--prompt <family>', 'prompt family of docs/METHOD.md §2').choices([...TEST_PROMPT_NAMES]).default('iad-r1'))
  .addOption(new Option('--concurrency <n>', 'requests in flight').argParser(wholeNumber(1)).default(4))
  .addOption(new Option('--limit <n>', 'at most N images per dataset (seeded pick)').argParser(wholeNumber(1)))
  .addOption(new Option('--seed <n>', 'seed for references and --limit').argParser(wholeNumber(0)).default(0))
  .addOption(new Option('--max-new-tokens <n>', 'decoding budget').argParser(wholeNumber(1)).default(512))
  .requiredOption('--out <dir>', 'output folder (resumable)')
  .option('--force', 'resume from an answers.jsonl that has no run.json, taking its answers as answers to this run')
  .addHelpText('after', '\nExamples:\n  iad-r1-eval run --dataset mvtec --root /data/mvtec --model openai:Qwen/Qwen2.5-VL-7B-Instruct \\\n    --base-url http://127.0.0.1:8000/v1 --shots 1 --prompt base --out runs/qwen-mvtec-1shot\n  iad-r1-eval run --dataset mvtec --root /data/mvtec --model local:models/Qwen2.5-VL-3B-Instruct --max-pixels 480000 --concurrency 1 --out runs/local')
  .action(async (options) => {
    const datasets = await loadDatasets(options.dataset, options.root, options.manifest);
    const model = await createModel(options.model, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, concurrency: options.concurrency, backend: options.backend, maxMemory: options.maxMemory, maxPixels: options.maxPixels });
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
      shots: Number(options.shots) as 0 | 1,
      prompt: options.prompt as TestPromptName,
      out: options.out,
      concurrency: options.concurrency,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      seed: options.seed,
      maxNewTokens: options.maxNewTokens,
      signal: controller.signal,
      runSettings: { dataset: options.dataset, manifest: options.manifest ? resolve(options.manifest) : null },
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

program
  .command('score')
  .description('rebuild summary.json, report.md and report.html from an answers.jsonl')
  .requiredOption('--answers <file>', 'answers.jsonl of a run')
  .requiredOption('--out <dir>', 'where to write the reports')
  .addHelpText('after', '\nExample:\n  iad-r1-eval score --answers runs/qwen/answers.jsonl --out runs/qwen')
  .action(async (options: { answers: string; out: string }) => {
    const summary = await rescore(options.answers, options.out);
    process.stdout.write(`${JSON.stringify(summary.average)}\n`);
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-eval', error));
