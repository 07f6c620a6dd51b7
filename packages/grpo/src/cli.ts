#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli } from '@iad-r1/errors';
import { version } from '../package.json';
import { expertAdRecordSchema, parseRecords, scGrpoRecordSchema, decodeUtf8 } from '@iad-r1/cot-schema';
import {
  addTrainedWeightsOptions,
  loadModel,
  numberArgument,
  selectBackend,
  trainedWeightsFromOptions,
  wholeNumberArgument,
} from '@iad-r1/models/tfjs';
import { addRewardOptions, rewardScorerFromOptions } from '@iad-r1/rewards/server';
import { LOSS_AGGREGATIONS } from './grpo-objective';
import { samplesFromExpertAd, samplesFromScGrpo } from './grpo-samples';
import { trainGrpo } from './train-grpo';

const number = numberArgument;
const whole = wholeNumberArgument;

const program = setUpCli(
  new Command().name('iad-r1-grpo').description('SC-GRPO: group relative policy optimisation of an in-process VLM with the four structured-control rewards (TensorFlow.js).').showHelpAfterError(),
  version,
);

const train = program
  .command('train')
  .description('train from SC-GRPO records (.json) or Expert-AD records (.jsonl); re-running resumes from the last checkpoint')
  .requiredOption('--model <dir>', 'the policy to start from (the PA-SFT model): a Hugging Face checkpoint folder, a PEFT adapter, or a saved TinyVLM')
  .requiredOption('--data <file>', 'sc-grpo.json (SC-GRPO records) or expert-ad.jsonl (canonical records)')
  .option('--images-root <dir>', "folder image paths are relative to (default: the data file's folder)")
  .requiredOption('--out <dir>', 'run folder: metrics.jsonl, reference/, checkpoints/')
  .addOption(new Option('--steps <n>', 'optimiser steps').argParser(whole(1)).makeOptionMandatory())
  .addOption(new Option('--group-size <n>', 'completions per prompt, G').argParser(whole(2)).default(4))
  .addOption(new Option('--prompts-per-step <n>').argParser(whole(1)).default(4))
  .addOption(new Option('--max-new-tokens <n>').argParser(whole(1)).default(512))
  .addOption(new Option('--temperature <t>', 'sampling temperature').argParser(number).default(1))
  .addOption(new Option('--top-p <p>').argParser(number))
  .addOption(new Option('--beta <b>', 'KL weight β').argParser(number).default(0.04))
  .addOption(new Option('--epsilon <e>', 'PPO clip ε').argParser(number).default(0.2))
  .addOption(new Option('--inner-iterations <n>', 'updates per batch, μ').argParser(whole(1)).default(1))
  .addOption(new Option('--aggregation <kind>').choices([...LOSS_AGGREGATIONS]).default('sequence-mean'))
  .addOption(new Option('--lr <x>', 'learning rate').argParser(number).default(1e-6))
  .addOption(new Option('--warmup <n>', 'warm-up steps').argParser(whole(0)).default(0))
  .addOption(new Option('--weight-decay <x>').argParser(number).default(0))
  .addOption(new Option('--checkpoint-every <n>').argParser(whole(0)).default(25))
  .addOption(new Option('--seed <n>').argParser(whole(0)).default(0))
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['node-gpu', 'node', 'wasm', 'cpu']))
  .addOption(new Option('--workers <n>', 'threads sharing each step\'s generation and update, data-parallel (default: IAD_R1_WORKERS, else the cores available)').argParser(whole(1)))
  .addHelpText('after', '\nExample:\n  iad-r1-grpo train --model runs/pa-sft/export --data sc-grpo.json --out runs/sc-grpo --steps 200 --lora-rank 16 --lr 1e-5');

addRewardOptions(addTrainedWeightsOptions(train)).action(async (o) => {
  // Reward options first: a typo in --weights or a broken --reward-module fails before any model loads.
  const { scorer: reward } = await rewardScorerFromOptions(o);
  await selectBackend(o.backend ? { prefer: o.backend } : {});
  const trainedWeights = trainedWeightsFromOptions(o);
  const text = decodeUtf8(await readFile(o.data), o.data);
  const imagesRoot = o.imagesRoot ?? dirname(o.data);
  const samples = o.data.endsWith('.jsonl')
    ? samplesFromExpertAd(parseRecords(text, expertAdRecordSchema, { file: o.data }), { imagesRoot })
    : samplesFromScGrpo(parseRecords(text, scGrpoRecordSchema, { file: o.data }), { imagesRoot });
  const policy = await loadModel(o.model);
  process.stderr.write(`iad-r1-grpo: ${samples.length} prompts, ${policy.architecture} with ${policy.parameterCount().toLocaleString()} parameters\n`);
  process.stderr.write(`iad-r1-grpo: rewards (${reward.preset}): ${reward.components.map((c) => `${c.name} ×${c.weight}${c.gate ? ` if ${c.gate}` : ''}`).join(', ')}\n`);
  const bar = new SingleBar({ format: 'sc-grpo |{bar}| step {value}/{total} | reward {reward} | kl {kl} | len {len} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true });
  let started = false;
  const result = await trainGrpo({
    policy,
    samples,
    reward,
    out: o.out,
    steps: o.steps,
    groupSize: o.groupSize,
    promptsPerStep: o.promptsPerStep,
    maxNewTokens: o.maxNewTokens,
    temperature: o.temperature,
    ...(o.topP !== undefined ? { topP: o.topP } : {}),
    beta: o.beta,
    epsilon: o.epsilon,
    innerIterations: o.innerIterations,
    aggregation: o.aggregation,
    learningRate: o.lr,
    warmupSteps: o.warmup,
    weightDecay: o.weightDecay,
    checkpointEvery: o.checkpointEvery,
    seed: o.seed,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...trainedWeights,
    log: (line) => process.stderr.write(`${line}\n`),
    onStep: (m) => {
      if (!started) {
        bar.start(m.totalSteps, m.step - 1, { reward: '–', kl: '–', len: '–' });
        started = true;
      }
      bar.update(m.step, { reward: m.reward.toFixed(3), kl: m.kl.toExponential(2), len: m.completionLength.toFixed(0) });
    },
  });
  if (started) bar.stop();
  if (o.export) await policy.save(o.export, { merged: o.mergeLora === true });
  const last = result.metrics.at(-1);
  process.stdout.write(`${JSON.stringify({ steps: result.steps, resumedFrom: result.resumedFrom, reward: last?.reward, components: last?.components, checkpoint: result.checkpoint, ...(o.export ? { exported: o.export } : {}) })}\n`);
});

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-grpo', error));
