import type { ImageInput } from '../../chat';
import { mulberry32 } from '../generation/seeded-random';
import { initialTensor } from '../nn/weights';
import { type Tensor, type Variable, tf } from '../tf';
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
  const named: Array<[string, Variable]> = [...visionVariables, ['head', head], ['head_b', headBias]];
  const variables = named.map(([, v]) => v);
  const optimizer = new AdamW(named, { weightDecay: options.weightDecay ?? 0.01 });
  const logits = (images: Tensor): Tensor => {
    const features = model.imageFeatures(images);
    return tf.reshape(tf.add(tf.matMul(tf.concat([tf.max(features, 1), tf.mean(features, 1)], 1), head), headBias), [-1]);
  };
  const losses: number[] = [];
  const accuracies: number[] = [];
  let evaluation: PretrainVisionResult['evaluation'];
  try {
    for (let step = 1; step <= steps && !options.signal?.aborted; step++) {
      const { data, labels } = pairedBatch(poolData, batchSize, size, random);
      const images = tf.tensor4d(data, [batchSize, size, size, 3]);
      const target = tf.tensor1d(labels);
      let loss = 0;
      let correct = 0;
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const z = logits(images);
          const predicted = tf.greater(z, 0).dataSync();
          correct = labels.reduce<number>((n, y, i) => n + (Number(predicted[i]) === y ? 1 : 0), 0);
          return tf.losses.sigmoidCrossEntropy(target, z) as tf.Scalar;
        }, variables);
        loss = value.dataSync()[0] as number;
        const clipped = clipByGlobalNorm(variables.map((v) => grads[v.name] as Tensor), 1).grads;
        optimizer.step(clipped, cosineWithWarmup(step, { peak: options.learningRate ?? 3e-3, warmupSteps: Math.max(1, Math.round(steps / 10)), totalSteps: steps }));
      });
      tf.dispose([images, target]);
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
