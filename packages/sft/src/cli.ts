#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli } from '@iad-r1/errors';
import { version } from '../package.json';
import { DEFAULT_QUESTION, expertAdRecordSchema, paSftRecordSchema, parseRecords, decodeUtf8 } from '@iad-r1/cot-schema';
import {
  BpeTokenizer,
  TinyVLM,
  type TinyVlmConfigInput,
  type TrainableModel,
  addTrainedWeightsOptions,
  checkpointToResume,
  loadModel,
  numberArgument,
  selectBackend,
  trainedWeightsFromOptions,
  wholeNumberArgument,
} from '@iad-r1/models/tfjs';
import { answerStrata, examplesFromExpertAd, examplesFromPaSft, imageCountGroups } from './sft-examples';
import { trainSft } from './train-sft';

const number = numberArgument;
const whole = wholeNumberArgument(0);

const program = setUpCli(
  new Command().name('iad-r1-sft').description('PA-SFT: fine-tune an in-process VLM (a Hugging Face checkpoint or a TinyVLM) on chain-of-thought anomaly answers (TensorFlow.js).').showHelpAfterError(),
  version,
);

const train = program
  .command('train')
  .description('train from Expert-AD records (.jsonl) or LLaMA-Factory PA-SFT records (.json); re-running resumes from the last checkpoint')
  .requiredOption('--data <file>', 'expert-ad.jsonl (canonical records) or pa-sft.json (sharegpt)')
  .option('--images-root <dir>', 'folder image paths are relative to (default: the data file\'s folder)')
  .requiredOption('--out <dir>', 'run folder: metrics.jsonl, checkpoints/')
  .option('--init <dir>', 'start from a checkpoint folder (Hugging Face layout, a PEFT adapter, or a saved TinyVLM) instead of a new TinyVLM')
  .addOption(new Option('--epochs <n>').argParser(whole).default(2))
  .addOption(new Option('--max-steps <n>', 'stop after this many steps').argParser(whole))
  .addOption(new Option('--batch-size <n>').argParser(whole).default(8))
  .addOption(new Option('--grad-accum <n>').argParser(whole).default(1))
  .addOption(new Option('--lr <x>', 'peak learning rate').argParser(number).default(3e-3))
  .addOption(new Option('--warmup <n>', 'warm-up steps').argParser(whole))
  .addOption(new Option('--weight-decay <x>').argParser(number).default(0.1))
  .addOption(new Option('--checkpoint-every <n>').argParser(whole).default(50))
  .addOption(new Option('--target <kind>', "'cot' or the paper's answer-only ablation").choices(['cot', 'answer-only']).default('cot'))
  .addOption(new Option('--type-level <level>').choices(['coarse', 'fine']).default('coarse'))
  .addOption(new Option('--fraction <x>', 'share of the records to train on (data ablation)').argParser(number).default(1))
  .addOption(new Option('--shots <n>').choices(['0', '1']).default('0'))
  .option('--balance-answers', 'put yes and no answers in every batch in their share of the data (strata by <answer>)')
  .option('--group-by-images', 'draw each batch from examples with the same number of images (no padding of 0-shot against 1-shot)')
  .addOption(new Option('--vocab-size <n>', 'BPE vocabulary of a new model').argParser(whole).default(512))
  .addOption(new Option('--max-sequence <n>', 'longest sequence a new model takes (default: 256, or room for the longest example plus 64 tokens)').argParser(wholeNumberArgument(16)))
  .addOption(new Option('--seed <n>').argParser(whole).default(0))
  .addOption(new Option('--workers <n>', 'threads sharing each batch, data-parallel (default: IAD_R1_WORKERS, else the cores available)').argParser(wholeNumberArgument(1)))
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['node-gpu', 'node', 'wasm', 'cpu']))
  .addHelpText('after', '\nExamples:\n  iad-r1-sft train --data data/synthetic/expert-ad.jsonl --out runs/pa-sft --epochs 2 --batch-size 8\n  iad-r1-sft train --data pa-sft.json --init Qwen2.5-0.5B-Instruct --lora-rank 16 --lr 2e-4 --out runs/lora --export runs/lora/adapter');
addTrainedWeightsOptions(train).action(async (o) => {
    await selectBackend(o.backend ? { prefer: o.backend } : {});
    const text = decodeUtf8(await readFile(o.data), o.data);
    const imagesRoot = o.imagesRoot ?? dirname(o.data);
    const common = { imagesRoot, fraction: o.fraction, seed: o.seed, source: o.data };
    const examples = o.data.endsWith('.jsonl')
      ? examplesFromExpertAd(parseRecords(text, expertAdRecordSchema, { file: o.data }), { ...common, target: o.target, typeLevel: o.typeLevel, shots: Number(o.shots) as 0 | 1 })
      : examplesFromPaSft(parseRecords(text, paSftRecordSchema, { file: o.data }), common);
    const trainedWeights = trainedWeightsFromOptions(o);
    let model: TrainableModel;
    const resumeFrom = await checkpointToResume(o.out);
    if (o.init) model = await loadModel(o.init);
    else if (resumeFrom) {
      // A new TinyVLM's tokenizer was trained on the data: resuming must use the checkpoint's, not a retrained one.
      model = await TinyVLM.load(resumeFrom);
      process.stderr.write(`iad-r1-sft: the TinyVLM (config, tokenizer) of ${resumeFrom}\n`);
    } else {
      const tokenizer = BpeTokenizer.train([...examples.map((e) => e.completion ?? ''), DEFAULT_QUESTION], { vocabSize: o.vocabSize });
      const config: TinyVlmConfigInput = { vocabSize: tokenizer.size, ...(o.maxSequence ? { maxSequence: o.maxSequence } : {}) };
      model = TinyVLM.create(config, tokenizer, { seed: o.seed });
      // The default length fits 0-shot examples; 1-shot ones (two images, a longer prompt) need more.
      const longest = Math.max(...examples.map((e) => (model as TinyVLM).trainingLength(e)));
      if (!o.maxSequence && longest > (model as TinyVLM).config.maxSequence) {
        const maxSequence = Math.ceil((longest + 64) / 32) * 32;
        model.dispose();
        model = TinyVLM.create({ ...config, maxSequence }, tokenizer, { seed: o.seed });
        process.stderr.write(`iad-r1-sft: maxSequence ${maxSequence} for the new TinyVLM (the longest example has ${longest} tokens)\n`);
      }
    }
    process.stderr.write(`iad-r1-sft: ${examples.length} examples, ${model.parameterCount().toLocaleString()} parameters\n`);
    const bar = new SingleBar({ format: 'pa-sft |{bar}| step {value}/{total} | loss {loss} | lr {lr} | {tps} tok/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true });
    let started = false;
    const result = await trainSft({
      model,
      examples,
      out: o.out,
      epochs: o.epochs,
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
      batchSize: o.batchSize,
      gradientAccumulation: o.gradAccum,
      learningRate: o.lr,
      ...(o.warmup !== undefined ? { warmupSteps: o.warmup } : {}),
      weightDecay: o.weightDecay,
      ...(o.balanceAnswers ? { strata: answerStrata(examples) } : {}),
      ...(o.groupByImages ? { batchGroups: imageCountGroups(examples) } : {}),
      checkpointEvery: o.checkpointEvery,
      seed: o.seed,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...trainedWeights,
      log: (line) => process.stderr.write(`${line}\n`),
      onStep: (m) => {
        if (!started) {
          bar.start(m.totalSteps, m.step - 1, { loss: '–', lr: '–', tps: '–' });
          started = true;
        }
        bar.update(m.step, { loss: m.loss.toFixed(4), lr: m.learningRate.toExponential(2), tps: Math.round(m.tokensPerSecond) });
      },
    });
    if (started) bar.stop();
    if (o.export) await model.save(o.export, { merged: o.mergeLora === true });
    process.stdout.write(`${JSON.stringify({ steps: result.steps, resumedFrom: result.resumedFrom, finalLoss: result.finalLoss, checkpoint: result.checkpoint, ...(o.export ? { exported: o.export } : {}) })}\n`);
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-sft', error));
