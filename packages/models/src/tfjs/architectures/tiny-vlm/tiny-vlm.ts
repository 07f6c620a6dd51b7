import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChatMessage, ImageInput } from '../../../chat';
import type { Completion, GenerateOptions, GenerateResult } from '../../../vision-language-model';
import { CheckpointError } from '../../checkpoint/checkpoint-error';
import { CheckpointWeights } from '../../checkpoint/checkpoint-weights';
import { loadWeightSet, restoreModelWeights, singleFileLayout, writeWeights } from '../../checkpoint/weights-io';
import { replaceFolder } from '../../checkpoint/replace-folder';
import { decodeLoop } from '../../generation/decode-loop';
import { generateInChunks } from '../causal-lm-parts';
import { type ImageLoader, sharpImageLoader } from '../../image-loader';
import { writeAdapter } from '../../lora/adapter-files';
import { untransposedMatMul } from '../../mat-mul';
import { type KvCache, MASKED, causalPaddingBias } from '../../nn/attention';
import { layerNorm } from '../../nn/norms';
import { type LinearModule, WeightSet } from '../../nn/weights';
import { type Tensor, type Variable, tf } from '../../tf';
import { BpeTokenizer } from '../../tokenizer/bpe-tokenizer';
import { completionIdsOf, rightPaddedBatch } from '../../trainable/teacher-forcing';
import type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from '../../trainable/trainable-model';
import { type RenderedPrompt, renderChat } from './chat-template';
import { type TinyVlmConfig, type TinyVlmConfigInput, imageTokensPerImage, tinyVlmConfigSchema } from './tiny-vlm-config';
import { TRANSFORMER_BLOCK_LINEARS, tinyVlmLinearModules, tinyVlmWeightSpecs } from './tiny-vlm-weights';
import { transformerBlock } from './transformer-block';
import { encodeImages } from './vision-encoder';

/** The `architecture` TinyVLM writes into its config.json, which the model registry dispatches on. */
export const TINY_VLM_ARCHITECTURE = 'iad-r1-tiny-vlm';

/** TinyVLM's teacher-forcing batch: the common fields plus its images and where they go. */
export interface TinyVlmBatch extends TrainingBatch {
  /** Images per row (max over the batch) and the images, [batch × imagesPerRow × S × S × 3]. */
  imagesPerRow: number;
  images: Float32Array;
  /** [batch × steps × imagesPerRow·image tokens]: where each image token sits in each sequence. */
  placement: Float32Array;
}

export interface TinyVlmOptions {
  /** Decodes images for the vision encoder; default sharp (an optional peer dependency). */
  imageLoader?: ImageLoader;
  /** Prompts decoded together in `generate`; default 16. */
  generationBatchSize?: number;
}

function isTinyVlmBatch(batch: TrainingBatch): batch is TinyVlmBatch {
  return 'placement' in batch && 'images' in batch;
}

/**
 * A small vision-language model in TensorFlow.js, readable in one sitting: a ViT encoder
 * (`vision-encoder.ts`), a two-layer projector into the language model's width, and a causal
 * decoder (learned positions, pre-norm blocks, output head tied to the token embedding). Images
 * become spans of tokens at their place in the chat. Implements `TrainableModel`: batched,
 * KV-cached, seeded generation with log-probabilities, and the training surface of PA-SFT and
 * SC-GRPO. Its weights are declared once, in `tiny-vlm-weights.ts`.
 *
 * @example
 * const model = TinyVLM.create({ vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
 * const [result] = await model.generate([messages], { temperature: 0, maxNewTokens: 64 });
 */
export class TinyVLM implements TrainableModel {
  readonly id = 'tfjs:tiny-vlm';
  readonly architecture = TINY_VLM_ARCHITECTURE;
  readonly variableGroups = { vision: /^(vision|projector)\./ } as const;
  /** The decoder's linear layers (a PEFT-style regular expression over module names). */
  readonly defaultLoraTargets = `decoder\\.blocks\\.\\d+\\.(${TRANSFORMER_BLOCK_LINEARS.map((l) => l.replace('.', '\\.')).join('|')})`;
  private readonly imageLoader: ImageLoader;
  private readonly generationBatchSize: number;
  private frozen = false;

  private constructor(
    readonly config: TinyVlmConfig,
    readonly tokenizer: BpeTokenizer,
    readonly weights: WeightSet,
    private readonly options: TinyVlmOptions,
    readonly sourceDir: string | undefined,
  ) {
    this.imageLoader = options.imageLoader ?? sharpImageLoader;
    this.generationBatchSize = options.generationBatchSize ?? 16;
  }

  private static parseConfig(configInput: Omit<TinyVlmConfigInput, 'vocabSize'> & { vocabSize?: number }, tokenizer: BpeTokenizer): TinyVlmConfig {
    const config = tinyVlmConfigSchema.parse({ ...configInput, vocabSize: configInput.vocabSize ?? tokenizer.size });
    if (config.vocabSize !== tokenizer.size) throw new RangeError(`config.vocabSize ${config.vocabSize} ≠ tokenizer size ${tokenizer.size}`);
    if (config.imageSize % config.patchSize !== 0) throw new RangeError('imageSize must be a multiple of patchSize');
    if (config.width % config.heads !== 0 || config.visionWidth % config.visionHeads !== 0) throw new RangeError('widths must divide by their head counts');
    return config;
  }

  /** A freshly initialised model (seeded); `vocabSize` defaults to the tokenizer's. */
  static create(configInput: Omit<TinyVlmConfigInput, 'vocabSize'> & { vocabSize?: number }, tokenizer: BpeTokenizer, options: TinyVlmOptions & { seed?: number } = {}): TinyVLM {
    const config = TinyVLM.parseConfig(configInput, tokenizer);
    return new TinyVLM(config, tokenizer, WeightSet.initialise(tinyVlmWeightSpecs(config, options.seed ?? 0)), options, undefined);
  }

  /** Loads the base weights of a model saved by `save` (`loadModel` also attaches its LoRA adapters). */
  static async load(dir: string, options: TinyVlmOptions = {}): Promise<TinyVLM> {
    const configFile = join(dir, 'config.json');
    const raw = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    const { architecture, ...configInput } = raw;
    if (architecture !== TINY_VLM_ARCHITECTURE) throw new CheckpointError(configFile, `architecture is ${JSON.stringify(architecture)}, not ${TINY_VLM_ARCHITECTURE}`);
    const tokenizer = BpeTokenizer.fromJSON(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')));
    const config = TinyVLM.parseConfig(configInput as TinyVlmConfigInput, tokenizer);
    const checkpoint = await CheckpointWeights.open(dir);
    try {
      return new TinyVLM(config, tokenizer, await loadWeightSet(tinyVlmWeightSpecs(config, 0), checkpoint), options, resolve(dir));
    } finally {
      await checkpoint.close();
    }
  }

  namedVariables(): Array<[string, Variable]> {
    return this.weights.named();
  }

  trainableVariables(): Array<[string, Variable]> {
    return this.frozen ? [] : this.weights.trainable();
  }

  linearModules(): LinearModule[] {
    return tinyVlmLinearModules(this.config);
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

  /** Image features as the decoder sees them: [N, S, S, 3] pixels → [N, image tokens, width] (differentiable). */
  imageFeatures(images: Tensor): Tensor {
    return encodeImages(images, this.weights, this.config);
  }

  /** Side of the square images the vision path reads. */
  get imageSize(): number {
    return this.config.imageSize;
  }

  /** Width of the image features. */
  get featureWidth(): number {
    return this.config.width;
  }

  parameterCount(): number {
    return this.weights.parameterCount();
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
   * The length in tokens of an example as training sees it (prompt with its image tokens,
   * completion, `<eos>`), to size `maxSequence` before training.
   *
   * @example
   * const longest = Math.max(...examples.map((e) => model.trainingLength(e)));
   */
  trainingLength(example: TrainingExample): number {
    const prompt = renderChat(example.messages, this.tokenizer, imageTokensPerImage(this.config));
    return prompt.ids.length + completionIdsOf(example, 0, (text) => this.tokenizer.encode(text), this.tokenizer.special('<eos>')).length;
  }

  /**
   * Tokenises examples for teacher forcing: prompt, completion, `<eos>`, right-padded; the loss
   * mask covers only completion tokens and `<eos>`.
   */
  async prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<TinyVlmBatch> {
    const eos = this.tokenizer.special('<eos>');
    const patches = imageTokensPerImage(this.config);
    const prompts = examples.map((example) => renderChat(example.messages, this.tokenizer, patches));
    const rows = examples.map((example, i) => {
      const prompt = prompts[i] as RenderedPrompt;
      return { ids: [...prompt.ids, ...completionIdsOf(example, i, (text) => this.tokenizer.encode(text), eos)], promptLength: prompt.ids.length };
    });
    const steps = Math.max(...rows.map((r) => r.ids.length));
    if (steps > this.config.maxSequence) throw new RangeError(`a sequence of ${steps} tokens exceeds maxSequence ${this.config.maxSequence}; train a model made with a larger maxSequence (iad-r1-sft: --max-sequence), or shorten the examples`);
    const imagesPerRow = Math.max(0, ...prompts.map((p) => p.images.length));
    return {
      ...rightPaddedBatch(rows),
      imagesPerRow,
      images: await this.loadImages(prompts, imagesPerRow),
      placement: this.placement(prompts, prompts.map(() => 0), steps, imagesPerRow),
    };
  }

  // ---------------------------------------------------------------------------------------
  // The network

  /** Input embeddings: tokens by one-hot product (no gather, so wasm has every gradient) with image features placed in. */
  private embed(ids: Tensor, images: Tensor, placement: Tensor, positions: Tensor | null, batch: number, steps: number, imagesPerRow: number): Tensor {
    const c = this.config;
    return tf.tidy(() => {
      const oneHot = tf.oneHot(tf.reshape(ids, [-1]), c.vocabSize);
      const tokens = tf.reshape(untransposedMatMul(tf.cast(oneHot, 'float32'), this.weights.get('token_embedding.weight')), [batch, steps, c.width]);
      let mixed = tokens;
      if (imagesPerRow > 0) {
        const patches = imageTokensPerImage(c);
        const features = tf.reshape(encodeImages(images, this.weights, c), [batch, imagesPerRow * patches, c.width]);
        const placed = untransposedMatMul(placement, features);
        const isImage = tf.sum(placement, -1, true);
        mixed = tf.add(tf.mul(tokens, tf.sub(1, isImage)), placed);
      }
      const table = this.weights.get('position_embedding.weight');
      const pos = positions ? tf.gather(table, positions) : tf.expandDims(tf.slice(table, [0, 0], [steps, c.width]), 0);
      return tf.add(mixed, pos);
    });
  }

  private logitsFrom(h: Tensor): Tensor {
    return tf.tidy(() => {
      const x = layerNorm(h, this.weights.get('decoder.ln.weight'), this.weights.get('decoder.ln.bias'));
      const [batch, steps] = x.shape as [number, number, number];
      const flat = tf.reshape(x, [batch * steps, this.config.width]);
      const logits = this.config.tiedOutput ? untransposedMatMul(flat, this.weights.get('token_embedding.weight'), { transposeB: true }) : untransposedMatMul(flat, this.weights.get('decoder.head.weight'));
      return tf.reshape(logits, [batch, steps, this.config.vocabSize]);
    });
  }

  /** Logits [B, T, V] of a teacher-forcing batch (differentiable). */
  forward(batch: TrainingBatch): Tensor {
    if (!isTinyVlmBatch(batch)) throw new TypeError('TinyVLM reads batches made by its own prepareTrainingBatch');
    const { batch: b, steps, imagesPerRow } = batch;
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [b, steps], 'int32');
      const images = tf.tensor(batch.images, [b * imagesPerRow, this.config.imageSize, this.config.imageSize, 3]);
      const placement = tf.tensor3d(batch.placement, [b, steps, imagesPerRow * imageTokensPerImage(this.config)]);
      const valid = tf.tensor2d(batch.valid, [b, steps]);
      let x = this.embed(ids, images, placement, null, b, steps, imagesPerRow);
      const bias = causalPaddingBias(valid, steps);
      for (let i = 0; i < this.config.layers; i++) x = transformerBlock(x, this.weights, `decoder.blocks.${i}`, this.config.heads, bias).y;
      return this.logitsFrom(x);
    });
  }

  /** Logits [B, T, V] at every position: {@link forward}. */
  logits(batch: TrainingBatch): Tensor {
    return this.forward(batch);
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

  // ---------------------------------------------------------------------------------------
  // Generation

  async generate(requests: readonly ChatMessage[][], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    return generateInChunks(requests, options, this.generationBatchSize, (rows, random) => this.generateBatch(rows, options, random));
  }

  private async generateBatch(requests: ChatMessage[][], options: GenerateOptions, random: ReadonlyArray<() => number>): Promise<Completion[]> {
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
    let caches: KvCache[] = [];
    const disposeCaches = () => {
      for (const cache of caches) tf.dispose([cache.k, cache.v]);
      caches = [];
    };
    return decodeLoop(
      {
        // The whole prompt in one pass, filling each layer's cache.
        prefill: () =>
          tf.tidy(() => {
            const x0 = this.embed(
              tf.tensor2d(ids, [batch, promptSteps], 'int32'),
              tf.tensor(imageData, [batch * imagesPerRow, c.imageSize, c.imageSize, 3]),
              tf.tensor3d(placementData, [batch, promptSteps, imagesPerRow * patches]),
              tf.tensor2d(positions, [batch, promptSteps], 'int32'),
              batch,
              promptSteps,
              imagesPerRow,
            );
            const bias = causalPaddingBias(tf.tensor2d(valid.flat(), [batch, promptSteps]), promptSteps);
            let x = x0;
            const empty = tf.zeros([batch, c.heads, 0, c.width / c.heads]);
            for (let i = 0; i < c.layers; i++) {
              const out = transformerBlock(x, this.weights, `decoder.blocks.${i}`, c.heads, bias, { k: empty, v: empty });
              x = out.y;
              caches.push(out.cache as KvCache);
            }
            return tf.squeeze(tf.slice(this.logitsFrom(x), [0, promptSteps - 1, 0], [batch, 1, c.vocabSize]), [1]);
          }),
        // One decode step for every row: the new token attends to the cache.
        step: (next, step) => {
          for (let b = 0; b < batch; b++) valid[b]!.push(1);
          const total = promptSteps + step + 1;
          const previous = caches;
          const nextCaches: KvCache[] = [];
          const logits = tf.tidy(() => {
            const tokenIds = tf.tensor1d(next, 'int32');
            const pos = tf.tensor1d(prompts.map((p) => p.ids.length + step), 'int32');
            let x = tf.expandDims(tf.add(tf.gather(this.weights.get('token_embedding.weight'), tokenIds), tf.gather(this.weights.get('position_embedding.weight'), pos)), 1);
            const bias = tf.reshape(tf.mul(tf.sub(1, tf.tensor2d(valid.flat(), [batch, total])), MASKED), [batch, 1, 1, total]);
            for (let i = 0; i < c.layers; i++) {
              const out = transformerBlock(x, this.weights, `decoder.blocks.${i}`, c.heads, bias, previous[i]);
              x = out.y;
              nextCaches.push(out.cache as KvCache);
            }
            return tf.squeeze(this.logitsFrom(x), [1]);
          });
          for (const cache of previous) tf.dispose([cache.k, cache.v]);
          caches = nextCaches;
          return logits;
        },
        dispose: disposeCaches,
      },
      {
        rows: batch,
        vocabSize: c.vocabSize,
        maxNewTokens: maxNew,
        temperature: options.temperature ?? 0,
        ...(options.topK !== undefined ? { topK: options.topK } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        stopTokenIds: [this.tokenizer.special('<eos>')],
        ...(options.stop ? { stopStrings: options.stop } : {}),
        decode: (tokens) => this.tokenizer.decode(tokens),
        random,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  }

  // ---------------------------------------------------------------------------------------
  // Persistence

  /**
   * Writes `config.json`, `model.safetensors` (float32) and `tokenizer.json` into `dir` (each file
   * atomically); with LoRA adapters also `adapter_config.json` and `adapter_model.safetensors`
   * (or, with `merged`, the adapters folded into the weights).
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await replaceFolder(dir, async (staging) => {
      await writeFile(join(staging, 'config.json'), `${JSON.stringify({ architecture: TINY_VLM_ARCHITECTURE, ...this.config }, null, 2)}\n`);
      await writeFile(join(staging, 'tokenizer.json'), JSON.stringify(this.tokenizer.toJSON()));
      await writeWeights(staging, this.weights, singleFileLayout('F32'), { merged: options.merged === true });
      if (this.weights.lora.size > 0 && !options.merged) await writeAdapter(staging, this.weights, resolve(dir));
    });
  }

  async restore(dir: string): Promise<void> {
    await restoreModelWeights(dir, this.weights);
  }

  /** A frozen copy with the same weights and adapters (the reference policy of GRPO). */
  clone(): TinyVLM {
    const weights = this.weights.copy();
    const copy = new TinyVLM(this.config, this.tokenizer, weights, this.options, this.sourceDir);
    copy.frozen = true;
    return copy;
  }

  dispose(): void {
    this.weights.dispose();
  }
}
