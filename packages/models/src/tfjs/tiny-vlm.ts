import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatMessage, ImageInput } from '../chat';
import type { Completion, GenerateOptions, GenerateResult, VisionLanguageModel } from '../vision-language-model';
import { BpeTokenizer } from './bpe-tokenizer';
import { type RenderedPrompt, completionOf, renderChat } from './chat-template';
import { type ImageLoader, sharpImageLoader } from './image-loader';
import { type BlockWeights, type KvCache, block, blockVariables, conv3x3Relu, createBlock as createBlockWeights, dense, gelu, initVariable as createVariable, layerNorm } from './layers';
import { untransposedMatMul } from './mat-mul';
import { encodeSafetensors, readSafetensors } from './safetensors';
import { type Tensor, type Variable, tf } from './tf';
import { type TinyVlmConfig, type TinyVlmConfigInput, imageTokensPerImage, patchesPerImage, tinyVlmConfigSchema } from './tiny-vlm-config';

const NEG = -1e9;
// tfjs variable names are global to the engine: each model gets its own prefix.
let instances = 0;

/** A teacher-forcing batch: host arrays, right-padded, ready for `forward`. */
export interface TrainingBatch {
  batch: number;
  steps: number;
  /** [batch × steps] input ids. */
  ids: Int32Array;
  /** [batch × steps] the next token at each position (0 where none). */
  targets: Int32Array;
  /** [batch × steps] 1 where the target is a completion token (answer or `<eos>`), else 0. */
  lossMask: Float32Array;
  /** [batch × steps] 1 for real tokens, 0 for padding. */
  valid: Float32Array;
  /** Images per row (max over the batch) and the images, [batch × imagesPerRow × S × S × 3]. */
  imagesPerRow: number;
  images: Float32Array;
  /** [batch × steps × imagesPerRow·patches]: where each image patch sits in each sequence. */
  placement: Float32Array;
}

/** An example to train on: a prompt (chat messages with images) and its completion text. */
export interface TrainingExample {
  messages: ChatMessage[];
  /** The assistant text to learn; default: the content of a final assistant message. */
  completion?: string;
  /** Exact completion token ids (e.g. as sampled in GRPO); used instead of tokenising `completion`. */
  completionIds?: readonly number[];
  /** Append `<eos>` after the completion (default true; false for a completion cut at the token budget). */
  appendEos?: boolean;
}

interface Weights {
  tokenEmbedding: Variable;
  positionEmbedding: Variable;
  patch: Variable;
  patchBias: Variable;
  visionPosition: Variable;
  /** 3×3 conv layers of the vision stem and the projection of their pooled features (absent without a stem). */
  stemConvs: Array<{ w: Variable; b: Variable }>;
  stemProjection: Variable | null;
  visionBlocks: BlockWeights[];
  visionLnG: Variable;
  visionLnB: Variable;
  projector1: Variable;
  projector1Bias: Variable;
  projector2: Variable;
  projector2Bias: Variable;
  blocks: BlockWeights[];
  finalLnG: Variable;
  finalLnB: Variable;
  head: Variable | null;
}

export interface TinyVlmOptions {
  /** Decodes images for the vision encoder; default sharp (an optional peer dependency). */
  imageLoader?: ImageLoader;
  /** Prompts decoded together in `generate`; default 16. */
  generationBatchSize?: number;
}

/** A seeded uniform [0, 1) generator (mulberry32): sampling and data order use it. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples a token id from logits with temperature, top-k and top-p (greedy at temperature 0). */
export function sampleToken(logits: Float32Array, options: { temperature: number; topK?: number; topP?: number }, random: () => number): number {
  if (options.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    return best;
  }
  let order = Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
  if (options.topK && options.topK > 0) order = order.slice(0, options.topK);
  const max = logits[order[0] as number] as number;
  let probs = order.map((i) => Math.exp(((logits[i] as number) - max) / options.temperature));
  const total = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / total);
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < probs.length && cumulative < options.topP) cumulative += probs[keep++] as number;
    order = order.slice(0, keep);
    probs = probs.slice(0, keep).map((p) => p / cumulative);
  }
  let r = random();
  for (let i = 0; i < order.length; i++) {
    r -= probs[i] as number;
    if (r <= 0) return order[i] as number;
  }
  return order[order.length - 1] as number;
}

/**
 * A small vision-language model in TensorFlow.js, readable in one sitting: a ViT encoder (patch
 * embedding, pre-norm blocks), a two-layer projector into the language model's width, and a causal
 * decoder (learned positions, pre-norm blocks, output head tied to the token embedding). Images
 * become spans of tokens at their place in the chat. Implements `VisionLanguageModel` (KV-cached,
 * batched, seeded sampling) and the training surface PA-SFT and SC-GRPO need.
 *
 * @example
 * const model = TinyVLM.create({ vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
 * const [result] = await model.generate([messages], { temperature: 0, maxNewTokens: 64 });
 */
export class TinyVLM implements VisionLanguageModel {
  readonly id: string;
  private readonly imageLoader: ImageLoader;
  private readonly generationBatchSize: number;
  private trainable = true;

  private constructor(
    readonly config: TinyVlmConfig,
    readonly tokenizer: BpeTokenizer,
    private readonly weights: Weights,
    options: TinyVlmOptions,
    private readonly prefix: string,
  ) {
    this.id = 'tfjs:tiny-vlm';
    this.imageLoader = options.imageLoader ?? sharpImageLoader;
    this.generationBatchSize = options.generationBatchSize ?? 16;
  }

  /** A freshly initialised model (seeded). */
  static create(configInput: TinyVlmConfigInput, tokenizer: BpeTokenizer, options: TinyVlmOptions & { seed?: number } = {}): TinyVLM {
    const config = tinyVlmConfigSchema.parse({ ...configInput, vocabSize: configInput.vocabSize ?? tokenizer.size });
    if (config.vocabSize !== tokenizer.size) throw new RangeError(`config.vocabSize ${config.vocabSize} ≠ tokenizer size ${tokenizer.size}`);
    if (config.imageSize % config.patchSize !== 0) throw new RangeError('imageSize must be a multiple of patchSize');
    if (config.width % config.heads !== 0 || config.visionWidth % config.visionHeads !== 0) throw new RangeError('widths must divide by their head counts');
    const seed = options.seed ?? 0;
    const patchDim = config.patchSize * config.patchSize * 3;
    const prefix = `tinyvlm${++instances}/`;
    const initVariable = (name: string, shape: number[], kind: 'normal' | 'zeros' | 'ones', s: number, std?: number) => createVariable(prefix + name, shape, kind, s, std);
    const createBlock = (name: string, width: number, mlp: number, s: number, layers: number) => createBlockWeights(prefix + name, width, mlp, s, layers);
    const weights: Weights = {
      tokenEmbedding: initVariable('token_embedding', [config.vocabSize, config.width], 'normal', seed + 1),
      positionEmbedding: initVariable('position_embedding', [config.maxSequence, config.width], 'normal', seed + 2, 0.01),
      patch: initVariable('vision.patch', [patchDim, config.visionWidth], 'normal', seed + 3),
      patchBias: initVariable('vision.patch_b', [config.visionWidth], 'zeros', 0),
      visionPosition: initVariable('vision.position', [patchesPerImage(config), config.visionWidth], 'normal', seed + 4, 0.01),
      // He initialisation: the stem is ReLU throughout.
      stemConvs: config.visionStem.map((channels, i) => {
        const inputs = 9 * (i === 0 ? 3 : (config.visionStem[i - 1] as number));
        return { w: initVariable(`vision.stem.conv${i}`, [inputs, channels], 'normal', seed + 50 + i, Math.sqrt(2 / inputs)), b: initVariable(`vision.stem.conv${i}_b`, [channels], 'zeros', 0) };
      }),
      stemProjection: config.visionStem.length > 0 ? initVariable('vision.stem.projection', [2 * (config.visionStem.at(-1) as number), config.visionWidth], 'normal', seed + 60) : null,
      visionBlocks: Array.from({ length: config.visionLayers }, (_, i) => createBlock(`vision.block${i}`, config.visionWidth, config.visionWidth * 4, seed + 100 + 10 * i, config.visionLayers)),
      visionLnG: initVariable('vision.ln.g', [config.visionWidth], 'ones', 0),
      visionLnB: initVariable('vision.ln.b', [config.visionWidth], 'zeros', 0),
      projector1: initVariable('projector.fc1', [config.visionWidth, config.width], 'normal', seed + 5),
      projector1Bias: initVariable('projector.fc1_b', [config.width], 'zeros', 0),
      projector2: initVariable('projector.fc2', [config.width, config.width], 'normal', seed + 6),
      projector2Bias: initVariable('projector.fc2_b', [config.width], 'zeros', 0),
      blocks: Array.from({ length: config.layers }, (_, i) => createBlock(`decoder.block${i}`, config.width, config.mlp, seed + 200 + 10 * i, config.layers)),
      finalLnG: initVariable('decoder.ln.g', [config.width], 'ones', 0),
      finalLnB: initVariable('decoder.ln.b', [config.width], 'zeros', 0),
      head: config.tiedOutput ? null : initVariable('decoder.head', [config.width, config.vocabSize], 'normal', seed + 7),
    };
    return new TinyVLM(config, tokenizer, weights, options, prefix);
  }

  /** Every variable with its name, in a stable order (for saving, optimisers and checks). */
  namedVariables(): Array<[string, Variable]> {
    const w = this.weights;
    const list: Variable[] = [
      w.tokenEmbedding,
      w.positionEmbedding,
      w.patch,
      w.patchBias,
      w.visionPosition,
      ...w.stemConvs.flatMap((c) => [c.w, c.b]),
      ...(w.stemProjection ? [w.stemProjection] : []),
      ...w.visionBlocks.flatMap(blockVariables),
      w.visionLnG,
      w.visionLnB,
      w.projector1,
      w.projector1Bias,
      w.projector2,
      w.projector2Bias,
      ...w.blocks.flatMap(blockVariables),
      w.finalLnG,
      w.finalLnB,
      ...(w.head ? [w.head] : []),
    ];
    return list.map((v) => [v.name.slice(this.prefix.length), v]);
  }

  /** The vision path's variables (patch embedding, stem, vision blocks, projector), named. */
  visionVariables(): Array<[string, Variable]> {
    return this.namedVariables().filter(([name]) => name.startsWith('vision.') || name.startsWith('projector.'));
  }

  /**
   * Decodes images with the model's image loader into a [N, S, S, 3] tensor in [0, 1].
   *
   * @example
   * const pixels = await model.imageTensor(['query.png']);
   */
  async imageTensor(images: readonly ImageInput[]): Promise<Tensor> {
    const size = this.config.imageSize;
    const pixels = size * size * 3;
    const data = new Float32Array(images.length * pixels);
    await Promise.all(images.map(async (image, i) => data.set(await this.imageLoader(image, size), i * pixels)));
    return tf.tensor4d(data, [images.length, size, size, 3]);
  }

  /**
   * Image features as the decoder sees them: [N, S, S, 3] pixels → [N, patches, width]
   * (differentiable; used by vision pretraining).
   */
  imageFeatures(images: Tensor): Tensor {
    return this.encodeImages(images);
  }

  /** The variables an optimiser updates (none for a frozen clone). */
  get trainableVariables(): Variable[] {
    return this.trainable ? this.namedVariables().map(([, v]) => v) : [];
  }

  /** Number of parameters. */
  parameterCount(): number {
    return this.namedVariables().reduce((n, [, v]) => n + v.size, 0);
  }

  // ---------------------------------------------------------------------------------------
  // Host-side batching

  private async loadImages(prompts: RenderedPrompt[], imagesPerRow: number): Promise<Float32Array> {
    const size = this.config.imageSize;
    const pixels = size * size * 3;
    const out = new Float32Array(prompts.length * imagesPerRow * pixels);
    await Promise.all(
      prompts.flatMap((p, row) =>
        p.images.map(async (image, j) => {
          out.set(await this.imageLoader(image, size), (row * imagesPerRow + j) * pixels);
        }),
      ),
    );
    return out;
  }

  private placement(prompts: RenderedPrompt[], offsets: number[], steps: number, imagesPerRow: number): Float32Array {
    const patches = imageTokensPerImage(this.config);
    const columns = imagesPerRow * patches;
    const out = new Float32Array(prompts.length * steps * columns);
    prompts.forEach((p, row) => {
      p.imageStarts.forEach((start, j) => {
        for (let k = 0; k < patches; k++) out[(row * steps + offsets[row]! + start + k) * columns + j * patches + k] = 1;
      });
    });
    return out;
  }

  /**
   * Tokenises examples for teacher forcing: prompt, completion, `<eos>`, right-padded; the loss
   * mask covers only completion tokens and `<eos>`.
   */
  async prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<TrainingBatch> {
    const eos = this.tokenizer.special('<eos>');
    const patches = imageTokensPerImage(this.config);
    const rows = examples.map((example) => {
      const prompt = renderChat(example.messages, this.tokenizer, patches);
      let tokens = example.completionIds;
      if (!tokens) {
        const completion = example.completion ?? completionOf(example.messages);
        if (completion === undefined) throw new Error('a training example needs a completion (or a final assistant message)');
        tokens = this.tokenizer.encode(completion);
      }
      const answer = example.appendEos === false ? [...tokens] : [...tokens, eos];
      return { prompt, ids: [...prompt.ids, ...answer], promptLength: prompt.ids.length };
    });
    const steps = Math.max(...rows.map((r) => r.ids.length));
    if (steps > this.config.maxSequence) throw new RangeError(`a sequence of ${steps} tokens exceeds maxSequence ${this.config.maxSequence}`);
    const batch = rows.length;
    const ids = new Int32Array(batch * steps);
    const targets = new Int32Array(batch * steps);
    const lossMask = new Float32Array(batch * steps);
    const valid = new Float32Array(batch * steps);
    rows.forEach((r, b) => {
      r.ids.forEach((id, t) => {
        ids[b * steps + t] = id;
        valid[b * steps + t] = 1;
        if (t + 1 < r.ids.length) {
          targets[b * steps + t] = r.ids[t + 1] as number;
          if (t + 1 >= r.promptLength) lossMask[b * steps + t] = 1;
        }
      });
    });
    const imagesPerRow = Math.max(0, ...rows.map((r) => r.prompt.images.length));
    const prompts = rows.map((r) => r.prompt);
    return {
      batch,
      steps,
      ids,
      targets,
      lossMask,
      valid,
      imagesPerRow,
      images: await this.loadImages(prompts, imagesPerRow),
      placement: this.placement(prompts, prompts.map(() => 0), steps, imagesPerRow),
    };
  }

  // ---------------------------------------------------------------------------------------
  // The network

  /** Vision encoder + projector: images [N, S, S, 3] → [N, image tokens, width] (patches, then the summary token if enabled). */
  private encodeImages(images: Tensor): Tensor {
    const c = this.config;
    const w = this.weights;
    return tf.tidy(() => {
      const n = images.shape[0] as number;
      const grid = c.imageSize / c.patchSize;
      // [N, S, S, C] → [N, patches, pixels per patch, C], row-major patches.
      const toPatches = (x: Tensor, channels: number): Tensor =>
        tf.reshape(tf.transpose(tf.reshape(x, [n, grid, c.patchSize, grid, c.patchSize, channels]), [0, 1, 3, 2, 4, 5]), [n, grid * grid, c.patchSize * c.patchSize, channels]);
      const patches = tf.reshape(toPatches(images, 3), [n, grid * grid, c.patchSize * c.patchSize * 3]);
      let x = tf.add(dense(tf.sub(patches, 0.5), w.patch, w.patchBias), w.visionPosition);
      if (w.stemProjection) {
        let h = tf.sub(images, 0.5);
        for (const conv of w.stemConvs) h = conv3x3Relu(h, conv.w, conv.b);
        const perPatch = toPatches(h, h.shape[3] as number);
        // Max pooling keeps a defect a few pixels wide visible in its patch; the mean keeps the texture.
        const pooled = tf.concat([tf.max(perPatch, 2), tf.mean(perPatch, 2)], 2);
        x = tf.add(x, dense(pooled, w.stemProjection));
      }
      for (const b of w.visionBlocks) x = block(x, b, c.visionHeads, null).y;
      x = layerNorm(x, w.visionLnG, w.visionLnB);
      const features = dense(gelu(dense(x, w.projector1, w.projector1Bias)), w.projector2, w.projector2Bias);
      return c.imageSummaryToken ? tf.concat([features, tf.max(features, 1, true)], 1) : features;
    });
  }

  /** Input embeddings: tokens by one-hot product (no gather, so wasm has every gradient) with image features placed in. */
  private embed(ids: Tensor, images: Tensor, placement: Tensor, positions: Tensor | null, batch: number, steps: number, imagesPerRow: number): Tensor {
    const c = this.config;
    const w = this.weights;
    return tf.tidy(() => {
      const oneHot = tf.oneHot(tf.reshape(ids, [-1]), c.vocabSize);
      const tokens = tf.reshape(untransposedMatMul(tf.cast(oneHot, 'float32'), w.tokenEmbedding), [batch, steps, c.width]);
      let mixed = tokens;
      if (imagesPerRow > 0) {
        const patches = imageTokensPerImage(c);
        const features = tf.reshape(this.encodeImages(images), [batch, imagesPerRow * patches, c.width]);
        const placed = untransposedMatMul(placement, features);
        const isImage = tf.sum(placement, -1, true);
        mixed = tf.add(tf.mul(tokens, tf.sub(1, isImage)), placed);
      }
      const pos = positions ? tf.gather(w.positionEmbedding, positions) : tf.expandDims(tf.slice(w.positionEmbedding, [0, 0], [steps, c.width]), 0);
      return tf.add(mixed, pos);
    });
  }

  private logitsFrom(h: Tensor): Tensor {
    const w = this.weights;
    return tf.tidy(() => {
      const x = layerNorm(h, w.finalLnG, w.finalLnB);
      const [batch, steps] = x.shape as [number, number, number];
      const flat = tf.reshape(x, [batch * steps, this.config.width]);
      const logits = w.head ? untransposedMatMul(flat, w.head) : untransposedMatMul(flat, w.tokenEmbedding, { transposeB: true });
      return tf.reshape(logits, [batch, steps, this.config.vocabSize]);
    });
  }

  /** Causal + padding additive mask [B, 1, T, T]. */
  private trainingBias(valid: Tensor, steps: number): Tensor {
    return tf.tidy(() => {
      const causal = tf.linalg.bandPart(tf.ones([steps, steps]), -1, 0);
      const keys = tf.expandDims(tf.expandDims(valid, 1), 1);
      return tf.mul(tf.sub(1, tf.mul(causal, keys)), NEG);
    });
  }

  /** Logits [B, T, V] of a teacher-forcing batch (differentiable). */
  forward(batch: TrainingBatch): Tensor {
    const { batch: b, steps, imagesPerRow } = batch;
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [b, steps], 'int32');
      const images = tf.tensor(batch.images, [b * imagesPerRow, this.config.imageSize, this.config.imageSize, 3]);
      const placement = tf.tensor3d(batch.placement, [b, steps, imagesPerRow * imageTokensPerImage(this.config)]);
      const valid = tf.tensor2d(batch.valid, [b, steps]);
      let x = this.embed(ids, images, placement, null, b, steps, imagesPerRow);
      const bias = this.trainingBias(valid, steps);
      for (const layer of this.weights.blocks) x = block(x, layer, this.config.heads, bias).y;
      return this.logitsFrom(x);
    });
  }

  /**
   * Per-position log-probability of the target token, [B, T] (differentiable; multiply by
   * `lossMask` to keep completion tokens). Uses a one-hot product, not gather.
   */
  tokenLogProbs(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const logProbs = tf.logSoftmax(this.forward(batch), -1);
      const targets = tf.cast(tf.oneHot(tf.tensor2d(batch.targets, [batch.batch, batch.steps], 'int32'), this.config.vocabSize), 'float32');
      return tf.sum(tf.mul(logProbs, targets), -1);
    });
  }

  /** PA-SFT loss: mean cross-entropy over completion tokens of the batch (METHOD.md §5). */
  sftLoss(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const mask = tf.tensor2d(batch.lossMask, [batch.batch, batch.steps]);
      return tf.div(tf.neg(tf.sum(tf.mul(this.tokenLogProbs(batch), mask))), tf.maximum(tf.sum(mask), 1));
    });
  }

  // ---------------------------------------------------------------------------------------
  // Generation

  async generate(requests: readonly ChatMessage[][], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    const n = options.n ?? 1;
    const expanded = requests.flatMap((messages) => Array.from({ length: n }, () => messages));
    const random = mulberry32(options.seed ?? 0);
    const completions: Completion[] = [];
    for (let start = 0; start < expanded.length; start += this.generationBatchSize) {
      if (options.signal?.aborted) throw options.signal.reason;
      completions.push(...(await this.generateBatch(expanded.slice(start, start + this.generationBatchSize), options, random)));
    }
    return requests.map((_, i) => ({ completions: completions.slice(i * n, (i + 1) * n) }));
  }

  private async generateBatch(requests: ChatMessage[][], options: GenerateOptions, random: () => number): Promise<Completion[]> {
    const c = this.config;
    const patches = imageTokensPerImage(c);
    const prompts = requests.map((m) => renderChat(m, this.tokenizer, patches));
    const batch = prompts.length;
    const promptSteps = Math.max(...prompts.map((p) => p.ids.length));
    const maxNew = Math.max(0, Math.min(options.maxNewTokens ?? 512, c.maxSequence - promptSteps));
    const imagesPerRow = Math.max(0, ...prompts.map((p) => p.images.length));
    const offsets = prompts.map((p) => promptSteps - p.ids.length); // left padding
    const ids = new Int32Array(batch * promptSteps);
    const valid: number[][] = prompts.map(() => []);
    const positions = new Int32Array(batch * promptSteps);
    prompts.forEach((p, b) => {
      for (let t = 0; t < promptSteps; t++) {
        const inPrompt = t >= (offsets[b] as number);
        ids[b * promptSteps + t] = inPrompt ? (p.ids[t - (offsets[b] as number)] as number) : this.tokenizer.special('<pad>');
        valid[b]!.push(inPrompt ? 1 : 0);
        positions[b * promptSteps + t] = Math.max(0, t - (offsets[b] as number));
      }
    });
    const imageData = await this.loadImages(prompts, imagesPerRow);
    const placementData = this.placement(prompts, offsets, promptSteps, imagesPerRow);
    const eos = this.tokenizer.special('<eos>');
    const generated: number[][] = prompts.map(() => []);
    const finished: Array<Completion['finishReason'] | undefined> = prompts.map(() => undefined);
    const temperature = options.temperature ?? 0;

    // Prefill: the whole prompt in one pass, filling each layer's cache.
    let caches: KvCache[] = [];
    let last = tf.tidy(() => {
      const x0 = this.embed(
        tf.tensor2d(ids, [batch, promptSteps], 'int32'),
        tf.tensor(imageData, [batch * imagesPerRow, c.imageSize, c.imageSize, 3]),
        tf.tensor3d(placementData, [batch, promptSteps, imagesPerRow * patches]),
        tf.tensor2d(positions, [batch, promptSteps], 'int32'),
        batch,
        promptSteps,
        imagesPerRow,
      );
      const bias = this.trainingBias(tf.tensor2d(valid.flat(), [batch, promptSteps]), promptSteps);
      let x = x0;
      const empty = tf.zeros([batch, c.heads, 0, c.width / c.heads]);
      for (const layer of this.weights.blocks) {
        const out = block(x, layer, c.heads, bias, { k: empty, v: empty });
        x = out.y;
        caches.push(out.cache as KvCache);
      }
      return tf.squeeze(tf.slice(this.logitsFrom(x), [0, promptSteps - 1, 0], [batch, 1, c.vocabSize]), [1]);
    });

    try {
      for (let step = 0; step < maxNew; step++) {
        const logits = (await last.data()) as Float32Array;
        last.dispose();
        const next = new Int32Array(batch);
        for (let b = 0; b < batch; b++) {
          if (finished[b]) {
            next[b] = eos;
            continue;
          }
          const token = sampleToken(logits.subarray(b * c.vocabSize, (b + 1) * c.vocabSize), { temperature, ...(options.topK !== undefined ? { topK: options.topK } : {}), ...(options.topP !== undefined ? { topP: options.topP } : {}) }, random);
          next[b] = token;
          if (token === eos) {
            finished[b] = 'stop';
            continue;
          }
          generated[b]!.push(token);
          if (options.stop?.some((s) => this.tokenizer.decode(generated[b]!).endsWith(s))) finished[b] = 'stop';
        }
        if (finished.every(Boolean) || step === maxNew - 1) {
          last = tf.zeros([1]);
          break;
        }
        // One decode step for every row: the new token attends to the cache.
        for (let b = 0; b < batch; b++) valid[b]!.push(1);
        const total = promptSteps + step + 1;
        const previous = caches;
        const nextCaches: KvCache[] = [];
        last = tf.tidy(() => {
          const tokenIds = tf.tensor1d(next, 'int32');
          const pos = tf.tensor1d(prompts.map((p) => p.ids.length + step), 'int32');
          let x = tf.expandDims(tf.add(tf.gather(this.weights.tokenEmbedding, tokenIds), tf.gather(this.weights.positionEmbedding, pos)), 1);
          const bias = tf.reshape(tf.mul(tf.sub(1, tf.tensor2d(valid.flat(), [batch, total])), NEG), [batch, 1, 1, total]);
          this.weights.blocks.forEach((layer, i) => {
            const out = block(x, layer, c.heads, bias, previous[i]);
            x = out.y;
            nextCaches.push(out.cache as KvCache);
          });
          return tf.squeeze(this.logitsFrom(x), [1]);
        });
        for (const cache of previous) {
          cache.k.dispose();
          cache.v.dispose();
        }
        caches = nextCaches;
      }
      last.dispose();
    } finally {
      for (const cache of caches) {
        cache.k.dispose();
        cache.v.dispose();
      }
    }
    return generated.map((tokens, b) => ({ text: this.tokenizer.decode(tokens), tokenIds: tokens, finishReason: finished[b] ?? 'length' }));
  }

  // ---------------------------------------------------------------------------------------
  // Persistence

  /** Writes `config.json`, `model.safetensors` and `tokenizer.json` into `dir` (each file atomically). */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tensors = await Promise.all(this.namedVariables().map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })));
    const files: Array<[string, string | Buffer]> = [
      ['config.json', `${JSON.stringify({ architecture: 'iad-r1-tiny-vlm', ...this.config }, null, 2)}\n`],
      ['model.safetensors', encodeSafetensors(tensors, { format: 'iad-r1-tiny-vlm' })],
      ['tokenizer.json', JSON.stringify(this.tokenizer.toJSON())],
    ];
    for (const [name, content] of files) {
      await writeFile(join(dir, `${name}.tmp`), content);
      await rename(join(dir, `${name}.tmp`), join(dir, name));
    }
  }

  /** Loads a model saved by `save`. */
  static async load(dir: string, options: TinyVlmOptions = {}): Promise<TinyVLM> {
    const raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const { architecture: _architecture, ...configInput } = raw;
    const tokenizer = BpeTokenizer.fromJSON(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')));
    const model = TinyVLM.create(configInput as TinyVlmConfigInput, tokenizer, options);
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    for (const [name, variable] of model.namedVariables()) {
      const stored = tensors.get(name);
      if (!stored) throw new Error(`${join(dir, 'model.safetensors')}: missing tensor ${name}`);
      if (stored.shape.join() !== variable.shape.join()) throw new Error(`${join(dir, 'model.safetensors')}: ${name} has shape [${stored.shape}] but the config needs [${variable.shape}]`);
      tf.tidy(() => variable.assign(tf.tensor(stored.data, stored.shape)));
    }
    return model;
  }

  /** A frozen copy with the same weights (the reference policy of GRPO). */
  clone(): TinyVLM {
    const copy = TinyVLM.create(this.config, this.tokenizer, { imageLoader: this.imageLoader, generationBatchSize: this.generationBatchSize });
    const source = this.namedVariables();
    copy.namedVariables().forEach(([, v], i) => v.assign(source[i]![1]));
    copy.trainable = false;
    return copy;
  }

  /** Frees the weights. */
  dispose(): void {
    for (const [, v] of this.namedVariables()) v.dispose();
  }
}
