import type { ImageInput } from '../../chat';
import { mulberry32 } from '../generation/seeded-random';
import { initialTensor } from '../nn/weights';
import { type Tensor, type Variable, tf } from '../tf';
import { defaultWorkers } from '../parallel/data-parallel-pool';
import type { ShardContext, ShardOutput } from '../parallel/shard-context';
import { combineShardGradients, shardGradients } from '../parallel/shard-gradients';
import { shardRanges } from '../parallel/shard-ranges';
import { startTrainingWorkers } from '../parallel/training-workers';
import type { TrainableModel } from '../trainable/trainable-model';
import { AdamW, clipByGlobalNorm, cosineWithWarmup } from './adamw';
import { pasteSyntheticAnomaly } from './synthetic-anomaly';

let pretrainings = 0;

/**
 * A model whose vision path can be pretrained on its own: square images of `imageSize` pixels
 * in, features of `featureWidth` per image token out, and a `vision` weight group (TinyVLM).
 */
export interface VisionFeatureModel extends Pick<TrainableModel, 'variableGroups' | 'namedVariables' | 'architecture'> {
  readonly imageSize: number;
  readonly featureWidth: number;
  /** Decodes images into [N, S, S, 3] pixels in [0, 1]. */
  imageTensor(images: readonly ImageInput[]): Promise<Tensor>;
  /** Pixels [N, S, S, 3] → features [N, image tokens, featureWidth] (differentiable). */
  imageFeatures(pixels: Tensor): Tensor;
}

/** Options of {@link pretrainVision}. */
export interface PretrainVisionOptions {
  model: VisionFeatureModel;
  /** Normal images only (paths, URLs or bytes); no labels are needed. */
  images: readonly ImageInput[];
  steps: number;
  /** Images per step: normal images, each followed by an altered copy of itself; default 32. */
  batchSize?: number;
  /** Peak learning rate (cosine schedule, 10 % warm-up); default 3e-3. */
  learningRate?: number;
  weightDecay?: number;
  seed?: number;
  onStep?: (metrics: { step: number; totalSteps: number; loss: number; accuracy: number }) => void;
  signal?: AbortSignal;
  /**
   * Named sets of labelled images to score with the pretraining head before it is discarded
   * (label 1 = anomalous): a diagnostic of how far the self-supervised task carries to real
   * defects. The labels are only counted, never trained on.
   */
  evaluate?: Record<string, { images: readonly ImageInput[]; labels: ReadonlyArray<0 | 1> }>;
  /**
   * Threads computing each step, this one included: the batch's images are split between them,
   * each computes its share's loss and gradients on its own copy of the model (saved once and
   * loaded by each worker, so the model must be a `TrainableModel`), and the gradients are
   * combined, weighted by images, before the one optimiser step; the result equals one thread's
   * up to float rounding. Default: `IAD_R1_WORKERS`, else the cores available (one thread for a
   * model that cannot be saved); at most the batch size.
   */
  workers?: number;
  /** Where the start of the worker threads is reported. */
  log?: (line: string) => void;
}

/** The pretraining head's two variables, by the names they are synchronised under. */
const HEAD = 'head';
const HEAD_BIAS = 'head_b';

/** Payload of the `vision-gradients` job: a share of one pretraining batch. */
export interface VisionShardPayload {
  /** [images × size × size × 3] pixels in [0, 1]. */
  pixels: Float32Array;
  labels: Array<0 | 1>;
  size: number;
}

/** Result of the `vision-gradients` job: the shard's mean loss, its images and how many the head got right. */
export interface VisionShardResult {
  loss: number;
  images: number;
  correct: number;
}

function headLogits(model: VisionFeatureModel, head: Tensor, bias: Tensor, images: Tensor): Tensor {
  const features = model.imageFeatures(images);
  return tf.reshape(tf.add(tf.matMul(tf.concat([tf.max(features, 1), tf.mean(features, 1)], 1), head), bias), [-1]);
}

/**
 * One shard of a pretraining step: the head's sigmoid cross-entropy (mean over the shard's
 * images) and its gradients for the vision weights and the head; weighting each shard by its
 * images gives the batch's mean.
 */
export async function visionShardGradients(context: ShardContext, payload: VisionShardPayload): Promise<ShardOutput & { result: VisionShardResult }> {
  const model = context.model as unknown as VisionFeatureModel;
  const byName = new Map(context.variables);
  const head = byName.get(HEAD);
  const bias = byName.get(HEAD_BIAS);
  if (!head || !bias) throw new RangeError('vision-gradients: the pretraining head is not among the synchronised variables');
  const count = payload.labels.length;
  const images = tf.tensor4d(payload.pixels, [count, payload.size, payload.size, 3]);
  const target = tf.tensor1d(payload.labels);
  let correct = 0;
  try {
    const { value, grads } = shardGradients(context, () => {
      const z = headLogits(model, head, bias, images);
      const predicted = tf.greater(z, 0).dataSync();
      correct = payload.labels.reduce<number>((n, y, i) => n + (Number(predicted[i]) === y ? 1 : 0), 0);
      return tf.losses.sigmoidCrossEntropy(target, z);
    });
    return { result: { loss: value, images: count, correct }, grads };
  } finally {
    tf.dispose([images, target]);
  }
}

/** Rates (%) of the pretraining head's decisions on one labelled set. */
export interface HeadEvaluation {
  balancedAccuracy: number;
  truePositiveRate: number;
  trueNegativeRate: number;
}

/** What {@link pretrainVision} returns. */
export interface PretrainVisionResult {
  losses: number[];
  accuracies: number[];
  /** Per `evaluate` set: balanced accuracy (%) of the head's decision (logit > 0) on its images. */
  evaluation?: Record<string, HeadEvaluation>;
}

/**
 * Self-supervised pretraining of a model's vision path (TinyVLM's) — the stand-in for the pretrained vision
 * encoder every real VLM starts from. Each step shows the vision path normal images, each paired
 * with a copy of itself that has a self-made local irregularity (`pasteSyntheticAnomaly`), and
 * trains it, with a temporary linear head on the max- and mean-pooled image features, to tell
 * them apart. Only vision and projector weights change; the decoder is untouched and the head is
 * discarded. No defect labels or masks are used.
 *
 * @example
 * await pretrainVision({ model, images: normalTrainingImages, steps: 300 });
 */
export async function pretrainVision(options: PretrainVisionOptions): Promise<PretrainVisionResult> {
  const { model, steps } = options;
  if (options.images.length === 0) throw new RangeError('pretrainVision needs at least one normal image');
  const batchSize = options.batchSize ?? 32;
  const size = model.imageSize;
  const vision = model.variableGroups.vision;
  if (!vision) throw new RangeError(`the ${model.architecture} model has no vision weights to pretrain`);
  const random = mulberry32(options.seed ?? 0);
  const pool = await model.imageTensor(options.images);
  // Copied, so the pool does not depend on whether a backend's dataSync() hands out its own storage.
  const poolData = new Float32Array(pool.dataSync() as Float32Array);
  pool.dispose();

  const width = model.featureWidth;
  const id = ++pretrainings;
  const headInit = initialTensor({ name: 'head', shape: [2 * width, 1], init: { kind: 'normal', std: 0.02, seed: options.seed ?? 0 } });
  const head = tf.variable(headInit, true, `pretrain-vision${id}/head`);
  headInit.dispose();
  const biasInit = tf.zeros([1]);
  const headBias = tf.variable(biasInit, true, `pretrain-vision${id}/head_b`);
  biasInit.dispose();
  const visionVariables = model.namedVariables().filter(([name]) => vision.test(name));
  const named: Array<[string, Variable]> = [...visionVariables, [HEAD, head], [HEAD_BIAS, headBias]];
  const shapes = named.map(([, v]) => v.shape);
  const optimizer = new AdamW(named, { weightDecay: options.weightDecay ?? 0.01 });
  const logits = (images: Tensor): Tensor => headLogits(model, head, headBias, images);
  const losses: number[] = [];
  const accuracies: number[] = [];
  let evaluation: PretrainVisionResult['evaluation'];
  const savable = typeof (model as Partial<TrainableModel>).save === 'function';
  if (options.workers !== undefined && options.workers > 1 && !savable) throw new RangeError(`pretrainVision with ${options.workers} workers needs a model that can be saved for them to load (a TrainableModel); the ${model.architecture} model cannot`);
  const context: ShardContext = { model: model as unknown as TrainableModel, variables: named, state: new Map() };
  const workers = savable
    ? await startTrainingWorkers({ workers: Math.min(options.workers ?? defaultWorkers(), batchSize), model: model as unknown as TrainableModel, variables: named, trainerVariables: [HEAD, HEAD_BIAS], ...(options.log ? { log: options.log } : {}) })
    : undefined;
  const pixelsPerImage = size * size * 3;
  try {
    for (let step = 1; step <= steps && !options.signal?.aborted; step++) {
      const { data, labels } = pairedBatch(poolData, batchSize, size, random);
      const shards = shardRanges(batchSize, 1 + (workers?.pool.threads ?? 0)).map(([from, to]): VisionShardPayload => ({ pixels: data.subarray(from * pixelsPerImage, to * pixelsPerImage), labels: labels.slice(from, to), size }));
      const remote = workers?.pool.run('vision-gradients', shards.slice(1));
      const local = await visionShardGradients(context, shards[0] as VisionShardPayload);
      const parts = [{ result: local.result, grads: local.grads as Tensor[] }, ...(remote ? (await remote).map((r) => ({ result: r.result as VisionShardResult, grads: r.grads as Float32Array[] })) : [])];
      const weights = parts.map((p) => p.result.images / batchSize);
      const loss = parts.reduce((sum, p, k) => sum + (weights[k] as number) * p.result.loss, 0);
      const correct = parts.reduce((n, p) => n + p.result.correct, 0);
      const combined = combineShardGradients(parts.map((p, k) => ({ grads: p.grads, weight: weights[k] as number })), shapes);
      tf.dispose(local.grads as Tensor[]);
      const clipped = clipByGlobalNorm(combined, 1).grads;
      tf.dispose(combined);
      optimizer.step(clipped, cosineWithWarmup(step, { peak: options.learningRate ?? 3e-3, warmupSteps: Math.max(1, Math.round(steps / 10)), totalSteps: steps }));
      workers?.pool.weightsChanged();
      tf.dispose(clipped);
      losses.push(loss);
      accuracies.push(correct / batchSize);
      options.onStep?.({ step, totalSteps: steps, loss, accuracy: correct / batchSize });
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (options.evaluate) {
      evaluation = {};
      for (const [name, labelled] of Object.entries(options.evaluate)) evaluation[name] = await scoreWithHead(labelled, model, logits);
    }
  } finally {
    optimizer.dispose();
    await workers?.close();
    head.dispose();
    headBias.dispose();
  }
  return { losses, accuracies, ...(evaluation ? { evaluation } : {}) };
}

/**
 * One pretraining batch from a pool of normal images (`pool`: images × size × size × 3): normal
 * images at even positions (label 0), and at each odd position a copy of the image just before it
 * with a self-made irregularity (label 1). A pair differs only by the irregularity, so the
 * gradient points at it from the first steps; with two independent images the difference between
 * them swamped it, and the loss sat at ln 2 for 100–250 steps, how long depending on the seed.
 */
export function pairedBatch(pool: Float32Array, batchSize: number, size: number, random: () => number): { data: Float32Array; labels: Array<0 | 1> } {
  const pixelsPerImage = size * size * 3;
  const images = pool.length / pixelsPerImage;
  const data = new Float32Array(batchSize * pixelsPerImage);
  const labels: Array<0 | 1> = [];
  let source = pool.subarray(0, 0);
  for (let i = 0; i < batchSize; i++) {
    if (i % 2 === 0) {
      const index = Math.floor(random() * images);
      source = pool.subarray(index * pixelsPerImage, (index + 1) * pixelsPerImage);
      data.set(source, i * pixelsPerImage);
      labels.push(0);
    } else {
      data.set(pasteSyntheticAnomaly(source, size, random).pixels, i * pixelsPerImage);
      labels.push(1);
    }
  }
  return { data, labels };
}

async function scoreWithHead(evaluate: { images: readonly ImageInput[]; labels: ReadonlyArray<0 | 1> }, model: VisionFeatureModel, logits: (images: Tensor) => Tensor): Promise<HeadEvaluation> {
  if (evaluate.images.length !== evaluate.labels.length) throw new RangeError('evaluate.images and evaluate.labels differ in length');
  let [tp, positives, tn, negatives] = [0, 0, 0, 0];
  for (let start = 0; start < evaluate.images.length; start += 64) {
    const images = await model.imageTensor(evaluate.images.slice(start, start + 64));
    const scores = tf.tidy(() => logits(images));
    const z = scores.dataSync();
    tf.dispose([images, scores]);
    z.forEach((value, i) => {
      if (evaluate.labels[start + i] === 1) {
        positives++;
        if (value > 0) tp++;
      } else {
        negatives++;
        if (value <= 0) tn++;
      }
    });
  }
  const truePositiveRate = positives ? (100 * tp) / positives : 0;
  const trueNegativeRate = negatives ? (100 * tn) / negatives : 0;
  return { balancedAccuracy: (truePositiveRate + trueNegativeRate) / 2, truePositiveRate, trueNegativeRate };
}
