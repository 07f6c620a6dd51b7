import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdamW,
  type ShardContext,
  type SftShardResult,
  type LoraSettingsInput,
  NonFiniteLossError,
  type TrainableModel,
  type TrainingExample,
  type TrainingLoopOptions,
  clipByGlobalNorm,
  combineShardGradients,
  cosineWithWarmup,
  dataDigest,
  passesMessage,
  planTrainingPasses,
  defaultWorkers,
  indicesByLabel,
  labelsDigest,
  mulberry32,
  prepareTrainedWeights,
  resumeTrainingCheckpoint,
  saveTrainingCheckpoint,
  sftShardGradients,
  shardRanges,
  startTrainingWorkers,
  tf,
} from '@iad-r1/models/tfjs';

/** PA-SFT options; see {@link trainSft} for the defaults. */
export interface SftOptions extends TrainingLoopOptions<SftStepMetrics> {
  /** Any trainable model (`loadModel`, `TinyVLM`), trained in place. */
  model: TrainableModel;
  examples: readonly TrainingExample[];
  /**
   * Train LoRA adapters instead of every weight (rank, α, dropout, target modules; PEFT's
   * meaning): the paper's LoRA-vs-full ablation. Default: full fine-tuning.
   */
  lora?: LoraSettingsInput;
  epochs?: number;
  /** Stop after this many optimiser steps in all (default: epochs × steps per epoch). */
  maxSteps?: number;
  /** Examples per micro-batch; default 8. */
  batchSize?: number;
  /** Micro-batches per optimiser step; default 1. */
  gradientAccumulation?: number;
  /**
   * One stratum label per example (e.g. `normal` / `anomalous`). Each epoch's order then
   * interleaves the strata in proportion, so every batch holds them in about the dataset's ratio
   * instead of a random mix; default: a plain shuffle.
   */
  strata?: readonly string[];
  /**
   * One group label per example (e.g. the prompt's number of images). Every micro-batch is then
   * drawn from a single group, so short examples are not padded to the length of long ones; the
   * groups' batches take turns in proportion to the groups' sizes, in a seeded order. With
   * `strata`, each group's batches hold the strata in their share. Default: batches mix freely.
   */
  batchGroups?: readonly string[];
  /**
   * Threads computing each micro-batch, this one included: the examples are split between them,
   * each computes its share's loss and gradients on its own copy of the model, and the gradients
   * are combined (weighted by completion tokens) before the one optimiser step. The result equals
   * one thread's up to float rounding. Default: `IAD_R1_WORKERS`, else the cores available; at most
   * the batch size.
   */
  workers?: number;
  /**
   * Bytes one thread's tensors may take. A share of a micro-batch whose estimated training memory
   * (`planTrainingPasses`: weights, gradients, AdamW moments, activations) exceeds 80 % of it is
   * computed in several passes with its gradients accumulated: the same result, less memory.
   * Default: the backend's limit (`backendMemoryLimit`: 4 GiB on wasm, the machine's memory
   * otherwise).
   */
  memoryLimitBytes?: number;
}

/** One line of `metrics.jsonl`. */
export interface SftStepMetrics {
  step: number;
  epoch: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  seconds: number;
}

export interface SftResult {
  steps: number;
  resumedFrom: number;
  finalLoss: number;
  losses: number[];
  checkpoint: string | undefined;
}

interface SftState {
  step: number;
  seed: number;
  batchSize: number;
  gradientAccumulation: number;
  examples: number;
  totalSteps: number;
  /** A digest of the strata labels, when given: they decide the data order a resume must repeat. */
  strata?: string;
  /** A digest of the batch groups, when given, for the same reason. */
  batchGroups?: string;
  /** A digest of the names of the trained weights (LoRA, freezing). */
  trained: string;
  /** A digest of the examples: other records under the same weights would be another run. */
  data: string;
  learningRate: number;
  /** As given; null for the default (which follows the run's length). */
  warmupSteps: number | null;
  weightDecay: number;
  maxGradNorm: number;
}

function permutation(n: number, seed: number, epoch: number): number[] {
  const random = mulberry32((seed * 2654435761 + epoch * 40503 + 1) >>> 0);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * A seeded order in which every stratum is spread evenly: each stratum is shuffled, its k-th of n
 * members is placed at (k + ½) / n, ties are broken at random. Consecutive slices of any length
 * then hold each stratum in about its share of the whole.
 */
function stratifiedPermutation(strata: readonly string[], seed: number, epoch: number): number[] {
  const random = mulberry32((seed * 2654435761 + epoch * 40503 + 7) >>> 0);
  const groups = indicesByLabel(strata);
  const keyed: Array<{ index: number; key: number; tie: number }> = [];
  for (const members of groups.values()) {
    const shuffled = permutation(members.length, seed, epoch).map((k) => members[k] as number);
    shuffled.forEach((index, k) => keyed.push({ index, key: (k + 0.5) / shuffled.length, tie: random() }));
  }
  return keyed.sort((a, b) => a.key - b.key || a.tie - b.tie).map((k) => k.index);
}

/**
 * One epoch's micro-batches of example indices. Without groups: consecutive slices of the epoch's
 * (stratified) order. With groups: each group's members in that order, cut into batches, and the
 * batches of all groups spread evenly over the epoch (the stratified placement again, with the
 * group as stratum).
 */
function epochBatches(count: number, batchSize: number, seed: number, epoch: number, strata?: readonly string[], groups?: readonly string[]): number[][] {
  const order = strata ? stratifiedPermutation(strata, seed, epoch) : permutation(count, seed, epoch);
  const slices = (indices: readonly number[]): number[][] => Array.from({ length: Math.ceil(indices.length / batchSize) }, (_, b) => indices.slice(b * batchSize, (b + 1) * batchSize));
  if (!groups) return slices(order);
  const batches: number[][] = [];
  const batchGroup: string[] = [];
  for (const [label, members] of indicesByLabel(groups)) {
    const inGroup = new Set(members);
    for (const batch of slices(order.filter((i) => inGroup.has(i)))) {
      batches.push(batch);
      batchGroup.push(label);
    }
  }
  return stratifiedPermutation(batchGroup, seed, epoch).map((b) => batches[b] as number[]);
}

/**
 * PA-SFT (docs/METHOD.md §5). Defaults: 1 epoch, batch 8, no accumulation, learning rate 2e-5 (the
 * paper's, for billion-parameter models; TinyVLM wants ~3e-3), warm-up min(100, 10 % of the run),
 * weight decay 0.1. Teacher-forced cross-entropy on the assistant tokens only, AdamW with
 * decoupled weight decay, linear warm-up then cosine decay, global-norm clipping, gradient
 * accumulation, padded batches, epochs in a seeded order. Every step appends to `metrics.jsonl`;
 * checkpoints (weights, tokenizer, optimiser moments, step) are written atomically, and a new run
 * on the same `out` continues from the latest one at the same step with the same data order.
 * A NaN or infinite loss stops with a `NonFiniteLossError` naming the step.
 *
 * @example
 * await trainSft({ model, examples, out: 'runs/pa-sft', epochs: 2, batchSize: 8, learningRate: 3e-3, checkpointEvery: 50 });
 */
export async function trainSft(options: SftOptions): Promise<SftResult> {
  const { model, examples, out } = options;
  const batchSize = options.batchSize ?? 8;
  const accumulation = options.gradientAccumulation ?? 1;
  const seed = options.seed ?? 0;
  const log = options.log ?? (() => undefined);
  if (examples.length === 0) throw new RangeError('no training examples');
  if (options.strata && options.strata.length !== examples.length) {
    throw new RangeError(`strata has ${options.strata.length} labels for ${examples.length} examples; give one per example`);
  }
  if (options.batchGroups && options.batchGroups.length !== examples.length) {
    throw new RangeError(`batchGroups has ${options.batchGroups.length} labels for ${examples.length} examples; give one per example`);
  }
  // Micro-batches per epoch: groups may each end on a short batch.
  const batchesPerEpoch = options.batchGroups
    ? [...indicesByLabel(options.batchGroups).values()].reduce((n, members) => n + Math.ceil(members.length / batchSize), 0)
    : Math.ceil(examples.length / batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accumulation);
  const totalSteps = options.maxSteps ?? (options.epochs ?? 1) * stepsPerEpoch;
  const warmupSteps = options.warmupSteps ?? Math.min(100, Math.floor(totalSteps * 0.1));
  const peak = options.learningRate ?? 2e-5;
  await mkdir(join(out, 'checkpoints'), { recursive: true });

  const { variables, digest: trainedDigest } = prepareTrainedWeights(model, options);
  const optimizer = new AdamW(variables, { weightDecay: options.weightDecay ?? 0.1 });
  const strataDigest = labelsDigest(options.strata);
  const groupsDigest = labelsDigest(options.batchGroups);
  const state: SftState = {
    trained: trainedDigest,
    data: dataDigest(examples),
    learningRate: peak,
    warmupSteps: options.warmupSteps ?? null,
    weightDecay: options.weightDecay ?? 0.1,
    maxGradNorm: options.maxGradNorm ?? 1,
    step: 0,
    seed,
    batchSize,
    gradientAccumulation: accumulation,
    examples: examples.length,
    totalSteps,
    ...(strataDigest ? { strata: strataDigest } : {}),
    ...(groupsDigest ? { batchGroups: groupsDigest } : {}),
  };
  const metricsFile = join(out, 'metrics.jsonl');

  if (options.resume !== false) {
    // Everything but the step and the run's length (a resume may extend it with more steps).
    const { step: _step, totalSteps: _total, ...mustMatch } = state;
    const saved = await resumeTrainingCheckpoint(out, model, optimizer, { ...mustMatch, strata: strataDigest, batchGroups: groupsDigest }, metricsFile, log);
    if (saved) {
      state.step = saved.step;
      log(`resuming from ${saved.dir} at step ${saved.step}`);
    }
  }
  const resumedFrom = state.step;
  const losses: number[] = [];
  let checkpoint: string | undefined;
  const started = Date.now();
  const shapes = variables.map(([, v]) => v.shape);
  const context: ShardContext = { model, variables, state: new Map() };
  // Before any work: the weights, their gradients and AdamW's moments must fit one thread.
  const limit = options.memoryLimitBytes !== undefined ? { limitBytes: options.memoryLimitBytes } : {};
  planTrainingPasses(model, { rows: 1, sequenceLength: 1, ...limit });
  let passesReported = 1;
  const workers = await startTrainingWorkers({ workers: Math.min(options.workers ?? defaultWorkers(), batchSize), model, variables, log });

  try {
    // The epoch's batches, made once per epoch rather than once per step.
    let batches: number[][] = [];
    let batchesEpoch = -1;
    while (state.step < totalSteps) {
      if (options.signal?.aborted) break;
      const epoch = Math.floor(state.step / stepsPerEpoch);
      if (epoch !== batchesEpoch) {
        batches = epochBatches(examples.length, batchSize, seed, epoch, options.strata, options.batchGroups);
        batchesEpoch = epoch;
      }
      const inEpoch = state.step % stepsPerEpoch;
      const stepStart = Date.now();
      let accumulated: tf.Tensor[] | undefined;
      let lossSum = 0;
      let tokens = 0;
      let micro = 0;
      for (let k = 0; k < accumulation; k++) {
        const indices = batches[inEpoch * accumulation + k];
        if (!indices) break;
        const shards = shardRanges(indices.length, 1 + (workers?.pool.threads ?? 0)).map(([from, to]) => indices.slice(from, to).map((i) => examples[i] as TrainingExample));
        const remote = workers?.pool.run('sft-gradients', shards.slice(1).map((shard) => ({ examples: shard, ...limit })));
        const local = await sftShardGradients(context, { examples: shards[0] as TrainingExample[], ...limit });
        const parts = [{ result: local.result, grads: local.grads as tf.Tensor[] }, ...(remote ? (await remote).map((r) => ({ result: r.result as SftShardResult, grads: r.grads as Float32Array[] })) : [])];
        const most = parts.reduce((best, p) => (p.result.passes > best.result.passes ? p : best));
        if (most.result.passes > passesReported) {
          passesReported = most.result.passes;
          log(passesMessage({ sequences: shards[parts.indexOf(most)]?.length ?? 0, passes: most.result.passes, bytesPerPass: most.result.bytesPerPass }));
        }
        // Each shard's loss is a mean over its completion tokens: weighted by them, the micro-batch's mean.
        const lossTokens = parts.reduce((n, p) => n + p.result.lossTokens, 0);
        const weights = parts.map((p) => (lossTokens > 0 ? p.result.lossTokens / lossTokens : 1 / parts.length));
        tokens += parts.reduce((n, p) => n + p.result.tokens, 0);
        const loss = parts.reduce((sum, p, k) => sum + (weights[k] as number) * p.result.loss, 0);
        lossSum += loss;
        micro++;
        const ordered = combineShardGradients(parts.map((p, k) => ({ grads: p.grads, weight: weights[k] as number })), shapes);
        tf.dispose(local.grads as tf.Tensor[]);
        if (!accumulated) accumulated = ordered;
        else {
          const summed = accumulated.map((a, i) => tf.add(a, ordered[i] as tf.Tensor));
          for (const t of [...accumulated, ...ordered]) t.dispose();
          accumulated = summed;
        }
      }
      const loss = lossSum / Math.max(1, micro);
      if (!Number.isFinite(loss)) {
        for (const t of accumulated ?? []) t.dispose();
        throw new NonFiniteLossError(state.step + 1, loss);
      }
      const averaged = (accumulated ?? []).map((g) => tf.div(g, micro));
      for (const t of accumulated ?? []) t.dispose();
      const { grads: clipped, norm } = clipByGlobalNorm(averaged, state.maxGradNorm);
      for (const t of averaged) t.dispose();
      const learningRate = cosineWithWarmup(state.step, { peak, warmupSteps, totalSteps });
      optimizer.step(clipped, learningRate);
      workers?.pool.weightsChanged();
      for (const t of clipped) t.dispose();
      state.step++;
      losses.push(loss);
      const seconds = (Date.now() - stepStart) / 1000;
      const metrics: SftStepMetrics = {
        step: state.step,
        epoch,
        totalSteps,
        loss,
        learningRate,
        gradNorm: norm,
        tokens,
        tokensPerSecond: tokens / Math.max(1e-6, seconds),
        seconds: (Date.now() - started) / 1000,
      };
      await appendFile(metricsFile, `${JSON.stringify(metrics)}\n`);
      options.onStep?.(metrics);
      const every = options.checkpointEvery ?? 0;
      if (every > 0 && state.step % every === 0 && state.step < totalSteps) {
        checkpoint = await saveTrainingCheckpoint(out, model, optimizer, { ...state }, options.keepCheckpoints ?? 2);
      }
    }
    if (state.step > resumedFrom || !checkpoint) checkpoint = await saveTrainingCheckpoint(out, model, optimizer, { ...state }, options.keepCheckpoints ?? 2);
  } finally {
    optimizer.dispose();
    await workers?.close();
  }
  return { steps: state.step, resumedFrom, finalLoss: losses[losses.length - 1] ?? Number.NaN, losses, checkpoint };
}
