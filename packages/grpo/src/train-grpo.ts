import { appendFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdamW,
  type LoraSettingsInput,
  NonFiniteLossError,
  type TrainableModel,
  type TrainingExample,
  type TrainingLoopOptions,
  type ShardContext,
  type TrainingWorkers,
  builtFile,
  clipByGlobalNorm,
  combineShardGradients,
  defaultWorkers,
  passesMessage,
  planTrainingPasses,
  shardRanges,
  startTrainingWorkers,
  cosineWithWarmup,
  indicesByLabel,
  labelsDigest,
  loadModel,
  prepareTrainedWeights,
  dataDigest,
  resumeTrainingCheckpoint,
  saveTrainingCheckpoint,
  tf,
} from '@iad-r1/models/tfjs';
import { type ChatMessage, hashSeed } from '@iad-r1/cot-schema';
import type { GenerateOptions, GenerateResult } from '@iad-r1/models';
import { type RewardComponents, type RewardScorer, createRewardRegistry, scGrpoReward, tagValue } from '@iad-r1/rewards';
import { LOSS_AGGREGATIONS, type LossAggregation, groupAdvantages, groupStds, grpoObjective } from './grpo-objective';
import type { GrpoSample } from './grpo-samples';
import { type GrpoShardPayload, type GrpoShardResult, grpoShardGradients, releaseGrpoShard } from './grpo-shard';

/** A reward's answer for one completion: a number, or a total with named components (logged one by one). */
export type RewardValue = number | { total: number; components: Partial<RewardComponents> | Record<string, number> };

/** A reward per completion, synchronous or not. For batch rewards, pass a `RewardScorer` instead. */
export type RewardFn = (completion: string, sample: GrpoSample) => RewardValue | Promise<RewardValue>;

/** `scGrpoReward` from `@iad-r1/rewards`, `paper` preset, as a {@link RewardFn}. */
export const defaultReward: RewardFn = (completion, sample) => scGrpoReward(completion, sample.solution, { preset: 'paper' });

function isScorer(reward: RewardFn | RewardScorer): reward is RewardScorer {
  return typeof (reward as RewardScorer).score === 'function' && Array.isArray((reward as RewardScorer).components);
}

/**
 * Scores one step's completions: a scorer gets the whole batch (solutions, and each completion's
 * sample as its extra), a function one completion at a time, all awaited together.
 */
async function scoreStep(reward: RewardFn | RewardScorer, texts: readonly string[], owners: readonly GrpoSample[]): Promise<{ totals: number[]; components: Record<string, number[]> }> {
  if (isScorer(reward)) {
    const { totals, components } = await reward.score(texts, owners.map((s) => s.solution), owners);
    return { totals, components };
  }
  const values = await Promise.all(texts.map((text, i) => reward(text, owners[i] as GrpoSample)));
  const names = [...new Set(values.flatMap((v) => (typeof v === 'number' ? [] : Object.keys(v.components))))];
  values.forEach((v, i) => {
    const total = typeof v === 'number' ? v : v.total;
    if (typeof total !== 'number' || !Number.isFinite(total)) throw new RangeError(`reward of completion ${i} is ${String(total)}, not a finite number`);
  });
  return {
    totals: values.map((v) => (typeof v === 'number' ? v : v.total)),
    components: Object.fromEntries(names.map((name) => [name, values.map((v) => (typeof v === 'number' ? 0 : ((v.components as Record<string, number>)[name] ?? 0)))])),
  };
}

/** SC-GRPO options; see {@link trainGrpo} for the defaults. */
export interface GrpoOptions extends TrainingLoopOptions<GrpoStepMetrics> {
  /** Any trainable model (`loadModel`, `TinyVLM`): the policy, trained in place. */
  policy: TrainableModel;
  /** The frozen reference policy (the PA-SFT model). Default: a frozen copy of `policy` at the start, saved under `out/reference`. */
  reference?: TrainableModel;
  /**
   * Train LoRA adapters instead of every weight (rank, α, dropout, target modules; PEFT's
   * meaning), attached after the reference copy is taken, so the reference is the policy at the
   * start. Default: full fine-tuning.
   */
  lora?: LoraSettingsInput;
  samples: readonly GrpoSample[];
  /**
   * The reward: a registry's scorer (batch, may be async; its components are logged by name) or a
   * function per completion. Default: `createRewardRegistry().scorer({ preset: 'paper' })` from
   * `@iad-r1/rewards`, the four SC-GRPO rewards.
   */
  reward?: RewardFn | RewardScorer;
  /** Completions per prompt, G; default 4 (the paper's). */
  groupSize?: number;
  /** Prompts per step; default 4. */
  promptsPerStep?: number;
  steps: number;
  /** New tokens per completion; default 512 (the paper's). */
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  /** KL weight β; default 0.04. */
  beta?: number;
  /** PPO clip ε; default 0.2. */
  epsilon?: number;
  /** Inner updates per batch, μ; default 1. */
  innerIterations?: number;
  aggregation?: LossAggregation;
  /**
   * One stratum label per sample (e.g. `normal` / `anomalous`). Each step's prompts are then drawn
   * from the strata in proportion to their sizes — with two equal strata and 4 prompts per step,
   * always 2 and 2 — instead of uniformly at random, which often gives a step of one label only.
   * Default: uniform.
   */
  strata?: readonly string[];
  /**
   * Threads sampling and computing each step, this one included: the prompts are split between
   * them for generation (each prompt's samples seeded by the prompt, so a prompt samples the same
   * on any thread), then the sequences for the update; every thread computes its share's loss
   * and gradients on its own copy of the policy and of the reference, and the gradients are
   * combined (weighted as the loss aggregation weighs sequences or tokens) before the one
   * optimiser step. The result equals one thread's up to float rounding. Default:
   * `IAD_R1_WORKERS`, else the cores available; at most the sequences per step.
   */
  workers?: number;
  /**
   * Bytes one thread's tensors may take. A thread's share of the update whose estimated training
   * memory (`planTrainingPasses`: weights, gradients, AdamW moments, activations) exceeds 80 % of
   * it is computed in several passes with its gradients accumulated: the same result, less memory.
   * Default: the backend's limit (`backendMemoryLimit`: 4 GiB on wasm, the machine's memory
   * otherwise).
   */
  memoryLimitBytes?: number;
}

/** One line of `metrics.jsonl` (paper Fig. 9 plots reward and completion length). */
export interface GrpoStepMetrics {
  step: number;
  totalSteps: number;
  reward: number;
  /** Mean of each reward component by name (consistency, answer, location, type, and any registered). */
  components: Record<string, number>;
  /** Standard deviation of each component over the step's completions (TRL logs both). */
  componentStds: Record<string, number>;
  /** Mean within-group std of the reward (0: no learning signal). */
  rewardStd: number;
  kl: number;
  completionLength: number;
  clipFraction: number;
  learningRate: number;
  loss: number;
  /** Share of completions answering yes: collapse to one class shows as 0 or 1. */
  yesShare: number;
  generationSeconds: number;
  updateSeconds: number;
}

export interface GrpoResult {
  steps: number;
  resumedFrom: number;
  metrics: GrpoStepMetrics[];
  checkpoint: string | undefined;
}

/**
 * Generates `requests` split between this thread and the workers (contiguous shares, one
 * `generate` job each), in request order.
 */
async function generateOnThreads(policy: TrainableModel, workers: TrainingWorkers | undefined, requests: ChatMessage[][], options: GenerateOptions & { seeds: number[] }): Promise<GenerateResult[]> {
  const ranges = shardRanges(requests.length, 1 + (workers?.pool.threads ?? 0));
  const share = ([from, to]: [number, number]) => ({ requests: requests.slice(from, to), options: { ...options, seeds: options.seeds.slice(from, to) } });
  const remote = workers?.pool.run('generate', ranges.slice(1).map(share));
  const mine = share(ranges[0] as [number, number]);
  const local = await policy.generate(mine.requests, mine.options);
  return [...local, ...(remote ? (await remote).flatMap((reply) => reply.result as GenerateResult[]) : [])];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function mix(seed: number, step: number): number {
  return (Math.imul(seed + 1, 2654435761) ^ Math.imul(step + 1, 40503)) >>> 0;
}

/**
 * Which samples slot i of a step draws from: the stratum whose share of the samples covers the
 * slot's middle, (i + ½) / slots, on the strata laid end to end (sorted by label).
 */
function slotPools(strata: readonly string[], slots: number): number[][] {
  const pools = [...indicesByLabel(strata).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, members]) => members);
  return Array.from({ length: slots }, (_, i) => {
    let covered = 0;
    const middle = ((i + 0.5) / slots) * strata.length;
    return pools.find((members) => (covered += members.length) > middle) ?? (pools[pools.length - 1] as number[]);
  });
}

/**
 * SC-GRPO (docs/METHOD.md §4). Defaults: G = 4, 4 prompts per step, 512 new tokens, temperature 1,
 * β = 0.04, ε = 0.2, μ = 1, `sequence-mean`, learning rate 5e-4 (constant after `warmupSteps`, 0),
 * no weight decay. Per step, sample G completions per prompt from the current policy
 * (KV-cached, seeded), score them (default: the four SC-GRPO rewards, paper preset), turn rewards
 * into group-relative advantages, and take μ AdamW steps on the clipped objective with the k3 KL
 * to the frozen reference. Every step appends reward, components, group std, KL, length, clip
 * fraction, learning rate, the share of "yes" answers and the time split to `metrics.jsonl`;
 * checkpoints and resume work as in PA-SFT; a non-finite loss stops with the step named.
 *
 * @example
 * await trainGrpo({ policy, samples, out: 'runs/sc-grpo', steps: 100, maxNewTokens: 160, learningRate: 5e-4 });
 */
export async function trainGrpo(options: GrpoOptions): Promise<GrpoResult> {
  const { policy, samples, out } = options;
  const groupSize = options.groupSize ?? 4;
  const promptsPerStep = options.promptsPerStep ?? 4;
  const maxNewTokens = options.maxNewTokens ?? 512;
  const beta = options.beta ?? 0.04;
  const epsilon = options.epsilon ?? 0.2;
  const mu = options.innerIterations ?? 1;
  const aggregation = options.aggregation ?? 'sequence-mean';
  const seed = options.seed ?? 0;
  const reward = options.reward ?? createRewardRegistry().scorer({ preset: 'paper' });
  const log = options.log ?? (() => undefined);
  if (samples.length === 0) throw new RangeError('no GRPO samples');
  if (!LOSS_AGGREGATIONS.includes(aggregation)) throw new RangeError(`unknown aggregation ${JSON.stringify(aggregation)}; choose one of ${LOSS_AGGREGATIONS.join(', ')}`);
  if (options.strata && options.strata.length !== samples.length) {
    throw new RangeError(`strata has ${options.strata.length} labels for ${samples.length} samples; give one per sample`);
  }
  const pools = options.strata ? slotPools(options.strata, promptsPerStep) : undefined;
  const strataDigest = labelsDigest(options.strata);
  await mkdir(out, { recursive: true });

  // The reference policy must survive a restart: keep it on disk beside the run (written once,
  // marked complete last, so a crash while writing it leaves no half reference behind).
  const referenceDir = join(out, 'reference');
  const referenceMark = join(referenceDir, 'reference.json');
  const referenceSaved = await stat(referenceMark).then(() => true, () => false);
  const reference = options.reference ?? (referenceSaved ? await loadModel(referenceDir) : policy.clone());
  if (!referenceSaved) {
    await rm(referenceDir, { recursive: true, force: true });
    await reference.save(referenceDir);
    await writeFile(referenceMark, `${JSON.stringify({ architecture: reference.architecture, savedAt: new Date().toISOString() })}\n`);
  }

  const { variables, digest: trainedDigest } = prepareTrainedWeights(policy, options);
  const optimizer = new AdamW(variables, { weightDecay: options.weightDecay ?? 0 });
  const peak = options.learningRate ?? 5e-4;
  const warmupSteps = options.warmupSteps ?? 0;
  // What shapes the run besides its length: a resume with another value would mix two runs.
  const settings = {
    seed,
    groupSize,
    promptsPerStep,
    samples: samples.length,
    data: dataDigest(samples),
    aggregation,
    trained: trainedDigest,
    learningRate: peak,
    warmupSteps,
    weightDecay: options.weightDecay ?? 0,
    maxGradNorm: options.maxGradNorm ?? 1,
    beta,
    epsilon,
    innerIterations: mu,
    maxNewTokens,
    temperature: options.temperature ?? 1,
    topP: options.topP ?? 1,
  };
  const state = { step: 0, ...settings, ...(strataDigest ? { strata: strataDigest } : {}) };
  const metricsFile = join(out, 'metrics.jsonl');
  if (options.resume !== false) {
    const saved = await resumeTrainingCheckpoint(out, policy, optimizer, { ...settings, strata: strataDigest }, metricsFile, log);
    if (saved) {
      state.step = saved.step;
      log(`resuming from ${saved.dir} at step ${saved.step}`);
    }
  }
  const resumedFrom = state.step;
  const all: GrpoStepMetrics[] = [];
  let checkpoint: string | undefined;
  const shapes = variables.map(([, v]) => v.shape);
  // Before any work: the weights, their gradients and AdamW's moments must fit one thread.
  planTrainingPasses(policy, { rows: 1, sequenceLength: 1, ...(options.memoryLimitBytes !== undefined ? { limitBytes: options.memoryLimitBytes } : {}) });
  let passesReported = 1;
  const context: ShardContext = { model: policy, variables, reference, state: new Map() };
  // Gradient shards split the step's sequences; generation splits its prompts.
  const threads = Math.min(options.workers ?? defaultWorkers(), promptsPerStep * groupSize);
  const workers =
    threads > 1
      ? await startTrainingWorkers({ workers: threads, model: policy, variables, referenceDir, handlerModules: [builtFile(import.meta.url, '@iad-r1/grpo', 'dist/grpo-shard.js')], log })
      : undefined;

  try {
    while (state.step < options.steps) {
      if (options.signal?.aborted) break;
      // Prompts in a seeded order that depends only on (seed, step), so a resumed run asks the same.
      const stepSeed = mix(seed, state.step);
      const picked = Array.from({ length: promptsPerStep }, (_, i) => {
        const pool = pools?.[i];
        return samples[pool ? (pool[mix(stepSeed, i) % pool.length] as number) : mix(stepSeed, i) % samples.length] as GrpoSample;
      });

      const genStart = Date.now();
      const results = await generateOnThreads(policy, workers, picked.map((s) => s.messages), {
        n: groupSize,
        maxNewTokens,
        temperature: options.temperature ?? 1,
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        seed: stepSeed,
        // One seed per prompt, so each prompt samples the same whichever thread decodes it.
        seeds: picked.map((_, i) => hashSeed(stepSeed, 'request', i)),
      });
      const generationSeconds = (Date.now() - genStart) / 1000;
      const updateStart = Date.now();

      const completions = results.flatMap((r) => r.completions);
      const owners = picked.flatMap((s) => Array.from({ length: groupSize }, () => s));
      const scored = await scoreStep(reward, completions.map((c) => c.text), owners);
      const rewards = scored.totals;
      const advantages = groupAdvantages(rewards, groupSize, aggregation === 'dr-grpo' ? 'none' : 'std');
      // What was sampled, token for token: the completion and, when one ended it, the end token.
      const examples: TrainingExample[] = completions.map((c, i) => ({
        messages: (owners[i] as GrpoSample).messages,
        completionIds: [...(c.tokenIds ?? []), ...(c.endOfSequence ? [c.endOfSequence.tokenId] : [])],
        appendEos: false,
      }));
      // π_θold: with one update per batch it is the policy itself (detached in the objective);
      // with more, the log-probabilities recorded while sampling — no second forward pass — or,
      // from a model that reports none, a forward pass before the first update.
      const oldPolicy = mu === 1 ? 'detached' : completions.every((c) => c.logProbs) ? 'sampled' : 'forward';
      const shards = shardRanges(examples.length, threads).map(([from, to]): GrpoShardPayload => ({
        key: `step ${state.step}`,
        examples: examples.slice(from, to),
        advantages: advantages.slice(from, to),
        oldPolicy,
        ...(oldPolicy === 'sampled' ? { completions: completions.slice(from, to).map((c) => ({ tokenIds: c.tokenIds, logProbs: c.logProbs, endOfSequence: c.endOfSequence })) } : {}),
        beta,
        epsilon,
        aggregation,
        maxLength: maxNewTokens,
        ...(options.memoryLimitBytes !== undefined ? { limitBytes: options.memoryLimitBytes } : {}),
      }));
      let lossValue = 0;
      let klValue = 0;
      let clipValue = 0;
      let learningRate = 0;
      try {
        for (let iteration = 0; iteration < mu; iteration++) {
          const remote = workers?.pool.run('grpo-gradients', shards.slice(1));
          const local = await grpoShardGradients(context, shards[0] as GrpoShardPayload);
          const parts = [{ result: local.result, grads: local.grads as tf.Tensor[] }, ...(remote ? (await remote).map((r) => ({ result: r.result as GrpoShardResult, grads: r.grads as Float32Array[] })) : [])];
          const most = parts.reduce((best, p) => (p.result.passes > best.result.passes ? p : best));
          if (most.result.passes > passesReported) {
            passesReported = most.result.passes;
            log(passesMessage(most.result));
          }
          // Each shard's loss is a mean over its sequences or its tokens (the aggregation's):
          // weighted by its share of them, the step's; the KL and clip share are token means.
          const tokens = parts.reduce((n, p) => n + p.result.tokens, 0);
          const tokenShare = parts.map((p) => (tokens > 0 ? p.result.tokens / tokens : 1 / parts.length));
          const weights = aggregation === 'token-mean' ? tokenShare : parts.map((p) => p.result.sequences / examples.length);
          lossValue = parts.reduce((sum, p, k) => sum + (weights[k] as number) * p.result.loss, 0);
          klValue = parts.reduce((sum, p, k) => sum + (tokenShare[k] as number) * p.result.kl, 0);
          clipValue = parts.reduce((sum, p, k) => sum + (tokenShare[k] as number) * p.result.clipFraction, 0);
          const ordered = combineShardGradients(parts.map((p, k) => ({ grads: p.grads, weight: weights[k] as number })), shapes);
          tf.dispose(local.grads as tf.Tensor[]);
          if (!Number.isFinite(lossValue)) {
            tf.dispose(ordered);
            throw new NonFiniteLossError(state.step + 1, lossValue);
          }
          const { grads: clipped } = clipByGlobalNorm(ordered, settings.maxGradNorm);
          tf.dispose(ordered);
          learningRate = cosineWithWarmup(state.step, { peak, warmupSteps, totalSteps: options.steps, minRatio: 1 });
          optimizer.step(clipped, learningRate);
          workers?.pool.weightsChanged();
          tf.dispose(clipped);
        }
      } finally {
        releaseGrpoShard(context);
      }
      if (workers && shards.length > 1) await workers.pool.run('grpo-release', shards.slice(1).map(() => null));
      state.step++;

      const columns = Object.entries(scored.components);
      const components = Object.fromEntries(columns.map(([name, values]) => [name, mean(values)]));
      // Unbiased over the whole step, as TRL logs rewards/<name>/std (torch.std of the batch).
      const componentStds = Object.fromEntries(columns.map(([name, values]) => [name, groupStds(values, values.length)[0] as number]));
      const stds = groupStds(rewards, groupSize);
      const metrics: GrpoStepMetrics = {
        step: state.step,
        totalSteps: options.steps,
        reward: rewards.reduce((a, b) => a + b, 0) / rewards.length,
        components,
        componentStds,
        rewardStd: stds.reduce((a, b) => a + b, 0) / stds.length,
        kl: klValue,
        completionLength: completions.reduce((a, c) => a + (c.tokenIds?.length ?? 0), 0) / completions.length,
        clipFraction: clipValue,
        learningRate,
        loss: lossValue,
        yesShare: completions.filter((c) => tagValue(c.text, 'answer') === 'yes').length / completions.length,
        generationSeconds,
        updateSeconds: (Date.now() - updateStart) / 1000,
      };
      all.push(metrics);
      await appendFile(metricsFile, `${JSON.stringify(metrics)}\n`);
      options.onStep?.(metrics);
      const every = options.checkpointEvery ?? 0;
      if (every > 0 && state.step % every === 0 && state.step < options.steps) {
        checkpoint = await saveTrainingCheckpoint(out, policy, optimizer, { ...state }, options.keepCheckpoints ?? 2);
      }
    }
    if (state.step > resumedFrom || !checkpoint) checkpoint = await saveTrainingCheckpoint(out, policy, optimizer, { ...state }, options.keepCheckpoints ?? 2);
  } finally {
    optimizer.dispose();
    await workers?.close();
    if (!options.reference) reference.dispose();
  }
  return { steps: state.step, resumedFrom, metrics: all, checkpoint };
}
