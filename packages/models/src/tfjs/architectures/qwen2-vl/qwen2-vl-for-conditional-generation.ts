import { join, resolve } from 'node:path';
import type { ChatMessage } from '../../../chat';
import type { GenerateOptions, GenerateResult } from '../../../vision-language-model';
import { CheckpointWeights } from '../../checkpoint/checkpoint-weights';
import { storedDtypeOf } from '../../checkpoint/dtype';
import { type WeightLayout, layoutOf, loadWeightSet, restoreModelWeights, shardedLayout } from '../../checkpoint/weights-io';
import { causalPaddingBias } from '../../nn/attention';
import { gatherRows } from '../../nn/gather-rows';
import { rotaryInverseFrequencies } from '../../nn/rotary';
import { type LinearModule, WeightSet } from '../../nn/weights';
import { type Tensor, type Variable, tf } from '../../tf';
import { HfTokenizer } from '../../tokenizer/hf-tokenizer';
import { completionIdsOf, imageInputsOf, promptMessages, rightPaddedBatch } from '../../trainable/teacher-forcing';
import type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from '../../trainable/trainable-model';
import { expandImageTokens, generateInChunks, leftPadded, lossPositionLogProbs, placeImageFeatures, qwen2DecodeRows, stopTokenIdsOf } from '../causal-lm-parts';
import { readGenerationConfig, readJsonFile, saveHfFolder } from '../hf-folder';
import { type RotaryInputs, qwen2Decoder, qwen2DecoderSpecs, qwen2LayerLinears, qwen2Logits } from '../qwen2/qwen2-decoder';
import { type MropePositions, mropePositions, mropeTables, paddedMropePositions } from './mrope';
import { type Qwen2VlConfig, qwen2VlConfig } from './qwen2-vl-config';
import { type Qwen2VlProcessorConfig, type VisionPatches, processQwen2VlImage, processorConfigOf, qwen2VlProcessorSchema, readQwen2VlProcessorConfig } from './qwen2-vl-image-processor';
import { encodeQwen2VlImage, qwen2VisionLinears, qwen2VisionSpecs } from './qwen2-vl-vision';

const HEAD = 'lm_head';

/** Where a checkpoint keeps the two towers: the released checkpoints' names, or newer transformers'. */
export interface Qwen2VlNaming {
  text: 'model' | 'model.language_model';
  visual: 'visual' | 'model.visual';
}

/** Options of {@link Qwen2VLForConditionalGeneration.load}. */
export interface Qwen2VlLoadOptions {
  /** Prompts decoded together in `generate`; default 4. */
  generationBatchSize?: number;
  /** Pixel bounds of the image processor, instead of preprocessor_config.json's (the authors train with maxPixels 480000). */
  minPixels?: number;
  maxPixels?: number;
}

/** A Qwen2-VL batch: the common fields, each image's patches (in order of appearance) and the 3-D positions. */
export interface Qwen2VlBatch extends TrainingBatch {
  images: VisionPatches[];
  positions: Pick<MropePositions, 't' | 'h' | 'w'>;
}

function isQwen2VlBatch(batch: TrainingBatch): batch is Qwen2VlBatch {
  return 'positions' in batch && 'images' in batch;
}

/** One prompt, tokenised, each image's placeholder expanded to its merged tokens. */
interface PromptRow {
  ids: number[];
  images: VisionPatches[];
  positions: MropePositions;
}

/**
 * Qwen2-VL and Qwen2.5-VL (`Qwen2VLForConditionalGeneration`, `Qwen2_5_VLForConditionalGeneration`)
 * from a Hugging Face checkpoint folder: the image processor (`qwen2-vl-image-processor.ts`), the
 * vision tower and patch merger (`qwen2-vl-vision.ts`), image features placed at the image tokens,
 * 3-D rotary positions (`mrope.ts`), and the Qwen2 decoder. Implements `TrainableModel`: PA-SFT and
 * SC-GRPO train it fully or with LoRA, `freezeVision` keeps the tower and merger fixed, and it saves
 * back in the layout (names, shards, dtypes) it was loaded from.
 *
 * @example
 * const model = await Qwen2VLForConditionalGeneration.load('Qwen2.5-VL-3B-Instruct', { maxPixels: 480000 });
 * const [result] = await model.generate([messages], { maxNewTokens: 512 });
 */
export class Qwen2VLForConditionalGeneration implements TrainableModel {
  readonly architecture: Qwen2VlConfig['variant'];
  readonly id: string;
  readonly variableGroups: Record<string, RegExp>;
  readonly defaultLoraTargets: string;
  readonly stopTokenIds: number[];
  readonly inverseFrequencies: Float32Array;
  private frozen = false;

  private constructor(
    readonly config: Record<string, unknown>,
    readonly parsed: Qwen2VlConfig,
    readonly processor: Qwen2VlProcessorConfig,
    readonly tokenizer: HfTokenizer,
    readonly weights: WeightSet,
    readonly naming: Qwen2VlNaming,
    private readonly layout: WeightLayout,
    readonly sourceDir: string | undefined,
    private readonly generationConfig: Record<string, unknown> | undefined,
    private readonly extraFiles: Record<string, unknown>,
    private readonly options: Qwen2VlLoadOptions,
  ) {
    this.architecture = parsed.variant;
    this.id = `tfjs:${parsed.variant}${sourceDir ? `:${sourceDir.split(/[\\/]/).at(-1)}` : ''}`;
    this.variableGroups = { vision: new RegExp(`^${naming.visual.replace('.', '\\.')}\\.`) };
    this.defaultLoraTargets = `${naming.text.replace(/\./g, '\\.')}\\.layers\\.\\d+\\.(self_attn\\.[qkvo]_proj|mlp\\.(gate|up|down)_proj)`;
    this.stopTokenIds = stopTokenIdsOf(tokenizer, generationConfig, config);
    this.inverseFrequencies = rotaryInverseFrequencies(parsed.text.headDim, parsed.text.ropeTheta);
  }

  private static specs(parsed: Qwen2VlConfig, naming: Qwen2VlNaming, seed: number) {
    return [...qwen2DecoderSpecs(parsed.text, naming.text, HEAD, seed), ...qwen2VisionSpecs(parsed.vision, parsed.variant, naming.visual, parsed.text.initializerRange, seed + 100_000)];
  }

  /** Opens a checkpoint folder: config.json, preprocessor_config.json, tokenizer files, safetensors weights. */
  static async load(dir: string, options: Qwen2VlLoadOptions = {}): Promise<Qwen2VLForConditionalGeneration> {
    const config = await readJsonFile(dir, 'config.json');
    const parsed = qwen2VlConfig(config, join(dir, 'config.json'));
    const processor = await readQwen2VlProcessorConfig(dir, options);
    const tokenizer = await HfTokenizer.fromDir(dir, { vocabSize: parsed.text.vocabSize, maxPositions: parsed.text.maxPositions });
    const generationConfig = await readGenerationConfig(dir);
    const checkpoint = await CheckpointWeights.open(dir);
    try {
      const naming: Qwen2VlNaming = {
        text: checkpoint.has('model.language_model.embed_tokens.weight') ? 'model.language_model' : 'model',
        visual: checkpoint.has('model.visual.patch_embed.proj.weight') ? 'model.visual' : 'visual',
      };
      const specs = Qwen2VLForConditionalGeneration.specs(parsed, naming, 0);
      const weights = await loadWeightSet(specs, checkpoint);
      const fallback = shardedLayout(specs, storedDtypeOf(config));
      return new Qwen2VLForConditionalGeneration(config, parsed, processor, tokenizer, weights, naming, layoutOf(checkpoint, fallback), resolve(dir), generationConfig, {}, options);
    } finally {
      await checkpoint.close();
    }
  }

  /**
   * A freshly initialised model (normal(0, initializer_range), seeded) for a config.json, a
   * preprocessor_config.json and a tokenizer — tiny random checkpoints for tests. Saved with the
   * released checkpoints' names (`model.*`, `visual.*`).
   */
  static create(config: Record<string, unknown>, tokenizer: HfTokenizer, options: Qwen2VlLoadOptions & { seed?: number; preprocessor?: Record<string, unknown>; maxShardBytes?: number; generationConfig?: Record<string, unknown> } = {}): Qwen2VLForConditionalGeneration {
    const parsed = qwen2VlConfig(config, 'config.json');
    if (tokenizer.size > parsed.text.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.size} ids but vocab_size is ${parsed.text.vocabSize}`);
    const preprocessor = options.preprocessor ?? {};
    const processor = processorConfigOf(qwen2VlProcessorSchema.parse(preprocessor), options);
    const naming: Qwen2VlNaming = { text: 'model', visual: 'visual' };
    const specs = Qwen2VLForConditionalGeneration.specs(parsed, naming, options.seed ?? 0);
    const layout = shardedLayout(specs, storedDtypeOf(config), options.maxShardBytes);
    const extra = { 'preprocessor_config.json': preprocessor, ...(options.generationConfig ? { 'generation_config.json': options.generationConfig } : {}) };
    return new Qwen2VLForConditionalGeneration(config, parsed, processor, tokenizer, WeightSet.initialise(specs), naming, layout, undefined, options.generationConfig, extra, options);
  }

  namedVariables(): Array<[string, Variable]> {
    return this.weights.named();
  }

  trainableVariables(): Array<[string, Variable]> {
    return this.frozen ? [] : this.weights.trainable();
  }

  linearModules(): LinearModule[] {
    return [...Array.from({ length: this.parsed.text.layers }, (_, i) => qwen2LayerLinears(this.parsed.text, this.naming.text, i)).flat(), ...qwen2VisionLinears(this.parsed.vision, this.parsed.variant, this.naming.visual)];
  }

  parameterCount(): number {
    return this.weights.parameterCount();
  }

  /**
   * A conversation as the language model reads it: the chat template with the generation prompt,
   * tokenised, and each image's `<|image_pad|>` expanded to its merged tokens (grid_h · grid_w / 4);
   * a final assistant message is left out (it is the completion).
   */
  async promptRow(messages: readonly ChatMessage[]): Promise<PromptRow> {
    const prompt = promptMessages(messages);
    const images = await Promise.all(imageInputsOf(prompt).map((image) => processQwen2VlImage(image, this.processor)));
    const encoded = this.tokenizer.encode(this.tokenizer.renderChat(prompt, { addGenerationPrompt: true }));
    if (this.parsed.videoTokenId !== undefined && encoded.includes(this.parsed.videoTokenId)) throw new RangeError('video inputs are not supported');
    const merge = this.processor.mergeSize ** 2;
    const ids = expandImageTokens(encoded, this.parsed.imageTokenId, images.map((image) => (image.gridH * image.gridW) / merge));
    const m = this.processor.mergeSize;
    const positions = mropePositions(ids, this.parsed.imageTokenId, images.map((g) => ({ t: g.gridT, h: g.gridH / m, w: g.gridW / m })));
    return { ids, images, positions };
  }

  async prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<Qwen2VlBatch> {
    const endOfTurn = this.stopTokenIds[0] as number;
    const prompts = await Promise.all(examples.map((e) => this.promptRow(e.messages)));
    const rows = examples.map((example, i) => {
      const prompt = prompts[i] as PromptRow;
      return { ids: [...prompt.ids, ...completionIdsOf(example, i, (text) => this.tokenizer.encode(text), endOfTurn)], promptLength: prompt.ids.length };
    });
    const batch = rightPaddedBatch(rows);
    const positions = paddedMropePositions(
      prompts.map((prompt, b) => ({ positions: prompt.positions, offset: 0, length: (rows[b] as { ids: number[] }).ids.length })),
      batch.steps,
    );
    return { ...batch, images: prompts.flatMap((p) => p.images), positions };
  }

  /** Token embeddings [rows·steps, H] with every image token's row replaced by its image feature, in order. */
  private inputEmbeddings(ids: Int32Array, images: readonly VisionPatches[]): Tensor {
    return tf.tidy(() => {
      const c = this.parsed;
      const tokens = gatherRows(this.weights.get(`${this.naming.text}.embed_tokens.weight`), tf.tensor1d(ids, 'int32'));
      if (images.length === 0) return tokens;
      const features = tf.concat(images.map((image) => encodeQwen2VlImage(tf.tensor2d(image.patches, [image.gridT * image.gridH * image.gridW, image.patches.length / (image.gridT * image.gridH * image.gridW)]), image.gridH, image.gridW, this.weights, c.vision, c.variant, this.naming.visual)));
      return placeImageFeatures(tokens, features, ids, c.imageTokenId);
    });
  }

  private rope(positions: Pick<MropePositions, 't' | 'h' | 'w'>, rows: number, steps: number): RotaryInputs {
    const { cos, sin } = mropeTables(positions, this.inverseFrequencies, this.parsed.mropeSection);
    const shape: [number, number, number, number] = [rows, 1, steps, this.parsed.text.headDim];
    return { cos: tf.tensor4d(cos, shape), sin: tf.tensor4d(sin, shape) };
  }

  /** Hidden states [B, T, H] of a right-padded batch. */
  private hidden(batch: TrainingBatch): Tensor {
    if (!isQwen2VlBatch(batch)) throw new TypeError(`${this.architecture} reads batches made by its own prepareTrainingBatch`);
    const { batch: b, steps } = batch;
    return tf.tidy(() => {
      const inputs = tf.reshape(this.inputEmbeddings(batch.ids, batch.images), [b, steps, this.parsed.text.hiddenSize]);
      const bias = causalPaddingBias(tf.tensor2d(batch.valid, [b, steps]), steps);
      return qwen2Decoder(inputs, this.weights, this.parsed.text, this.naming.text, this.rope(batch.positions, b, steps), bias).hidden;
    });
  }

  logits(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const c = this.parsed.text;
      const flat = tf.reshape(this.hidden(batch), [batch.batch * batch.steps, c.hiddenSize]);
      return tf.reshape(qwen2Logits(flat, this.weights, c, this.naming.text, HEAD), [batch.batch, batch.steps, c.vocabSize]);
    });
  }

  tokenLogProbs(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const c = this.parsed.text;
      return lossPositionLogProbs(tf.reshape(this.hidden(batch), [batch.batch * batch.steps, c.hiddenSize]), batch, c.vocabSize, (rows) => qwen2Logits(rows, this.weights, c, this.naming.text, HEAD));
    });
  }

  async generate(requests: readonly ChatMessage[][], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    return generateInChunks(requests, options, this.options.generationBatchSize ?? 4, async (rows, random) => {
      const c = this.parsed.text;
      const prompts = await Promise.all(rows.map((m) => this.promptRow(m)));
      const { ids, steps, offsets, valid } = leftPadded(
        prompts.map((p) => p.ids),
        this.stopTokenIds[0] as number,
      );
      const positions = paddedMropePositions(
        prompts.map((p, b) => ({ positions: p.positions, offset: offsets[b] as number, length: p.ids.length })),
        steps,
      );
      const decoding = { weights: this.weights, decoder: c, prefix: this.naming.text, head: HEAD, tokenizer: this.tokenizer, stopTokenIds: this.stopTokenIds, inverseFrequencies: this.inverseFrequencies };
      return qwen2DecodeRows(
        decoding,
        {
          rows: rows.length,
          steps,
          valid,
          nextPositions: prompts.map((p) => p.positions.next),
          prefill: () => ({ inputs: tf.reshape(this.inputEmbeddings(ids, prompts.flatMap((p) => p.images)), [rows.length, steps, c.hiddenSize]), rope: this.rope(positions, rows.length, steps) }),
        },
        options,
        random,
      );
    });
  }

  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const extraFiles = this.sourceDir ? {} : this.extraFiles;
    await saveHfFolder(dir, { config: this.config, tokenizer: this.tokenizer, weights: this.weights, layout: this.layout, sourceDir: this.sourceDir, extraFiles }, options);
  }

  async restore(dir: string): Promise<void> {
    await restoreModelWeights(dir, this.weights);
  }

  clone(): Qwen2VLForConditionalGeneration {
    const copy = new Qwen2VLForConditionalGeneration(this.config, this.parsed, this.processor, this.tokenizer, this.weights.copy(), this.naming, this.layout, this.sourceDir, this.generationConfig, this.extraFiles, this.options);
    copy.frozen = true;
    return copy;
  }

  dispose(): void {
    this.weights.dispose();
  }
}
