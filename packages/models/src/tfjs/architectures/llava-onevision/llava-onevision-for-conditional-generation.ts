import { join, resolve } from 'node:path';
import type { ChatMessage } from '../../../chat';
import type { GenerateOptions, GenerateResult } from '../../../vision-language-model';
import { CheckpointWeights } from '../../checkpoint/checkpoint-weights';
import { storedDtypeOf } from '../../checkpoint/dtype';
import { type WeightLayout, layoutOf, loadWeightSet, restoreModelWeights, shardedLayout } from '../../checkpoint/weights-io';
import { causalPaddingBias } from '../../nn/attention';
import { gatherRows } from '../../nn/gather-rows';
import { rotaryInverseFrequencies, rotaryTables } from '../../nn/rotary';
import { type LinearModule, type WeightSpec, WeightSet } from '../../nn/weights';
import { type Tensor, type Variable, tf } from '../../tf';
import { HfTokenizer } from '../../tokenizer/hf-tokenizer';
import { completionIdsOf, imageInputsOf, promptMessages, rightPaddedBatch } from '../../trainable/teacher-forcing';
import type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from '../../trainable/trainable-model';
import { expandImageTokens, generateInChunks, leftPadded, lossPositionLogProbs, placeImageFeatures, qwen2DecodeRows, stopTokenIdsOf } from '../causal-lm-parts';
import { readGenerationConfig, readJsonFile, saveHfFolder } from '../hf-folder';
import { type RotaryInputs, qwen2Decoder, qwen2DecoderSpecs, qwen2LayerLinears, qwen2Logits } from '../qwen2/qwen2-decoder';
import { packImageFeatures, projectFeatures, projectorLinears, projectorSpecs } from './image-features';
import { type LlavaOnevisionConfig, llavaOnevisionConfig } from './llava-onevision-config';
import { type LlavaOnevisionPixels, type LlavaOnevisionProcessorConfig, type MultiImageMode, imageTokenCount, llavaOnevisionProcessorSchema, processLlavaOnevisionImage, llavaOnevisionProcessorConfigOf, readLlavaOnevisionProcessorConfig } from './llava-onevision-image-processor';
import { encodeSiglipTiles, siglipLinears, siglipPatchRows, siglipSpecs } from './siglip-vision';

/** Where a checkpoint keeps its parts: the llava-hf releases' names, or newer transformers'. */
export interface LlavaOnevisionNaming {
  text: 'language_model.model' | 'model.language_model';
  head: 'language_model.lm_head' | 'lm_head';
  vision: 'vision_tower.vision_model' | 'model.vision_tower.vision_model';
  projector: 'multi_modal_projector' | 'model.multi_modal_projector';
  newline: 'image_newline' | 'model.image_newline';
}

const RELEASED: LlavaOnevisionNaming = { text: 'language_model.model', head: 'language_model.lm_head', vision: 'vision_tower.vision_model', projector: 'multi_modal_projector', newline: 'image_newline' };
const NEWER: LlavaOnevisionNaming = { text: 'model.language_model', head: 'lm_head', vision: 'model.vision_tower.vision_model', projector: 'model.multi_modal_projector', newline: 'model.image_newline' };

/** Options of {@link LlavaOnevisionForConditionalGeneration.load}. */
export interface LlavaOnevisionLoadOptions {
  /** Prompts decoded together in `generate`; default 4. */
  generationBatchSize?: number;
  /** Conversations with several images: `square` (default, current transformers: each whole, no tiles) or `anyres` (each tiled, as older releases). */
  multiImage?: MultiImageMode;
}

/** A LLaVA-OneVision batch: the common fields and each image's tiles, in order of appearance. */
export interface LlavaOnevisionBatch extends TrainingBatch {
  images: LlavaOnevisionPixels[];
}

function isLlavaOnevisionBatch(batch: TrainingBatch): batch is LlavaOnevisionBatch {
  return 'images' in batch && !('positions' in batch);
}

/** One prompt, tokenised, each `<image>` expanded to its feature count. */
interface PromptRow {
  ids: number[];
  images: LlavaOnevisionPixels[];
}

/**
 * As vLLM does for templates that iterate over content parts: a message whose content is a plain
 * string is given to the template as one text part (LLaVA-OneVision's template would drop it).
 */
function asParts(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) => (typeof m.content === 'string' ? { ...m, content: [{ type: 'text' as const, text: m.content }] } : m));
}

/**
 * LLaVA-OneVision (`LlavaOnevisionForConditionalGeneration`) from a Hugging Face checkpoint folder:
 * the anyres image processor (`llava-onevision-image-processor.ts`), the SigLIP tower
 * (`siglip-vision.ts`), the projector and the packing of tile features (`image-features.ts`), the
 * features placed at the `<image>` tokens, and the Qwen2 decoder. Implements `TrainableModel`:
 * PA-SFT and SC-GRPO train it fully or with LoRA, `freezeVision` keeps the SigLIP tower fixed (the
 * projector trains, as LLaMA-Factory's `freeze_vision_tower` does), and it saves back in the
 * layout (names, shards, dtypes) it was loaded from.
 *
 * @example
 * const model = await LlavaOnevisionForConditionalGeneration.load('llava-onevision-qwen2-0.5b-si-hf');
 * const [result] = await model.generate([messages], { maxNewTokens: 512 });
 */
export class LlavaOnevisionForConditionalGeneration implements TrainableModel {
  readonly architecture = 'llava_onevision';
  readonly id: string;
  readonly variableGroups: Record<string, RegExp>;
  readonly defaultLoraTargets: string;
  readonly stopTokenIds: number[];
  readonly inverseFrequencies: Float32Array;
  private frozen = false;

  private constructor(
    readonly config: Record<string, unknown>,
    readonly parsed: LlavaOnevisionConfig,
    readonly processor: LlavaOnevisionProcessorConfig,
    readonly tokenizer: HfTokenizer,
    readonly weights: WeightSet,
    readonly naming: LlavaOnevisionNaming,
    private readonly layout: WeightLayout,
    readonly sourceDir: string | undefined,
    private readonly generationConfig: Record<string, unknown> | undefined,
    private readonly extraFiles: Record<string, unknown>,
    private readonly options: LlavaOnevisionLoadOptions,
  ) {
    this.id = `tfjs:llava_onevision${sourceDir ? `:${sourceDir.split(/[\\/]/).at(-1)}` : ''}`;
    this.variableGroups = { vision: new RegExp(`^${naming.vision.replace(/\./g, '\\.')}\\.`) };
    this.defaultLoraTargets = `${naming.text.replace(/\./g, '\\.')}\\.layers\\.\\d+\\.(self_attn\\.[qkvo]_proj|mlp\\.(gate|up|down)_proj)`;
    this.stopTokenIds = stopTokenIdsOf(tokenizer, generationConfig, config);
    this.inverseFrequencies = rotaryInverseFrequencies(parsed.text.headDim, parsed.text.ropeTheta);
  }

  /** Every weight, with the checkpoint's names. */
  static specs(parsed: LlavaOnevisionConfig, naming: LlavaOnevisionNaming, seed: number): WeightSpec[] {
    return [...qwen2DecoderSpecs(parsed.text, naming.text, naming.head, seed), ...siglipSpecs(parsed.vision, naming.vision, parsed.text.initializerRange, seed + 100_000), ...projectorSpecs(parsed, naming.projector, naming.newline, seed + 200_000)];
  }

  /** Opens a checkpoint folder: config.json, preprocessor_config.json, tokenizer files, safetensors weights. */
  static async load(dir: string, options: LlavaOnevisionLoadOptions = {}): Promise<LlavaOnevisionForConditionalGeneration> {
    const config = await readJsonFile(dir, 'config.json');
    const parsed = llavaOnevisionConfig(config, join(dir, 'config.json'));
    const processor = await readLlavaOnevisionProcessorConfig(dir, parsed, options.multiImage);
    const tokenizer = await HfTokenizer.fromDir(dir, { vocabSize: parsed.text.vocabSize, maxPositions: parsed.text.maxPositions });
    const generationConfig = await readGenerationConfig(dir);
    const checkpoint = await CheckpointWeights.open(dir);
    try {
      const naming = checkpoint.has(`${NEWER.vision}.embeddings.patch_embedding.weight`) ? NEWER : RELEASED;
      const specs = LlavaOnevisionForConditionalGeneration.specs(parsed, naming, 0);
      const weights = await loadWeightSet(specs, checkpoint);
      const fallback = shardedLayout(specs, storedDtypeOf(config));
      return new LlavaOnevisionForConditionalGeneration(config, parsed, processor, tokenizer, weights, naming, layoutOf(checkpoint, fallback), resolve(dir), generationConfig, {}, options);
    } finally {
      await checkpoint.close();
    }
  }

  /**
   * A freshly initialised model (seeded normal weights) for a config.json, a preprocessor_config.json
   * and a tokenizer — tiny random checkpoints for tests. Saved with the llava-hf releases' names.
   */
  static create(config: Record<string, unknown>, tokenizer: HfTokenizer, options: LlavaOnevisionLoadOptions & { seed?: number; preprocessor?: Record<string, unknown>; maxShardBytes?: number; generationConfig?: Record<string, unknown> } = {}): LlavaOnevisionForConditionalGeneration {
    const parsed = llavaOnevisionConfig(config, 'config.json');
    if (tokenizer.size > parsed.text.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.size} ids but text_config.vocab_size is ${parsed.text.vocabSize}`);
    const preprocessor = options.preprocessor ?? {};
    const processor = llavaOnevisionProcessorConfigOf(llavaOnevisionProcessorSchema.parse(preprocessor), parsed, 'preprocessor_config.json', options.multiImage);
    const specs = LlavaOnevisionForConditionalGeneration.specs(parsed, RELEASED, options.seed ?? 0);
    const layout = shardedLayout(specs, storedDtypeOf(config), options.maxShardBytes);
    const extra = { 'preprocessor_config.json': preprocessor, ...(options.generationConfig ? { 'generation_config.json': options.generationConfig } : {}) };
    return new LlavaOnevisionForConditionalGeneration(config, parsed, processor, tokenizer, WeightSet.initialise(specs), RELEASED, layout, undefined, options.generationConfig, extra, options);
  }

  namedVariables(): Array<[string, Variable]> {
    return this.weights.named();
  }

  /**
   * What an optimiser updates — less the tower's weights the forward pass never reads (the
   * post-layernorm, layers past the deepest selected feature layer): they are kept and saved as
   * loaded, but a zero gradient would only let weight decay shrink them.
   */
  trainableVariables(): Array<[string, Variable]> {
    if (this.frozen) return [];
    const deepest = Math.max(...this.parsed.featureLayers);
    const prefix = `${this.naming.vision}.`;
    const unread = (name: string) => name.startsWith(`${prefix}post_layernorm.`) || Number(/\.encoder\.layers\.(\d+)\./.exec(name.slice(prefix.length - 1))?.[1] ?? -1) >= deepest;
    return this.weights.trainable().filter(([name]) => !(name.startsWith(prefix) && unread(name)));
  }

  linearModules(): LinearModule[] {
    const text = Array.from({ length: this.parsed.text.layers }, (_, i) => qwen2LayerLinears(this.parsed.text, this.naming.text, i)).flat();
    return [...text, ...siglipLinears(this.parsed.vision, this.naming.vision), ...projectorLinears(this.parsed, this.naming.projector)];
  }

  parameterCount(): number {
    return this.weights.parameterCount();
  }

  /**
   * A conversation as the language model reads it: the chat template with the generation prompt,
   * tokenised, each `<image>` expanded to the count the reference processor gives it (one image:
   * tiled; several: each whole, unless `multiImage: 'anyres'`); a final assistant message is left out.
   */
  async promptRow(messages: readonly ChatMessage[]): Promise<PromptRow> {
    const prompt = asParts(promptMessages(messages));
    const inputs = imageInputsOf(prompt);
    const tiled = inputs.length === 1 || this.processor.multiImage === 'anyres';
    const images = await Promise.all(inputs.map((image) => processLlavaOnevisionImage(image, this.processor, tiled)));
    const encoded = this.tokenizer.encode(this.tokenizer.renderChat(prompt, { addGenerationPrompt: true }));
    if (this.parsed.videoTokenId !== undefined && encoded.includes(this.parsed.videoTokenId)) throw new RangeError('video inputs are not supported');
    const counts = { patchesPerSide: this.parsed.vision.patchesPerSide, size: this.processor.size, pinpoints: this.processor.pinpoints, maxTiles: this.parsed.maxTiles };
    return { ids: expandImageTokens(encoded, this.parsed.imageTokenId, images.map((image) => imageTokenCount(image.original, tiled, counts))), images };
  }

  async prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<LlavaOnevisionBatch> {
    const endOfTurn = this.stopTokenIds[0] as number;
    const prompts = await Promise.all(examples.map((e) => this.promptRow(e.messages)));
    const rows = examples.map((example, i) => {
      const prompt = prompts[i] as PromptRow;
      return { ids: [...prompt.ids, ...completionIdsOf(example, i, (text) => this.tokenizer.encode(text), endOfTurn)], promptLength: prompt.ids.length };
    });
    return { ...rightPaddedBatch(rows), images: prompts.flatMap((p) => p.images) };
  }

  /** The rows one image puts at its `<image>` tokens, [count, H]. */
  imageFeatures(image: LlavaOnevisionPixels): Tensor {
    return tf.tidy(() => {
      const v = this.parsed.vision;
      const rows = siglipPatchRows(image.pixels, image.tiles, image.size, v);
      const tiles = encodeSiglipTiles(tf.tensor2d(rows, [image.tiles * v.patchesPerSide ** 2, v.channels * v.patchSize ** 2]), image.tiles, this.weights, v, this.naming.vision, this.parsed.featureLayers);
      return packImageFeatures(projectFeatures(tiles, this.weights, this.parsed, this.naming.projector), image, this.weights.get(this.naming.newline), v.patchesPerSide, this.parsed.maxTiles);
    });
  }

  /** Token embeddings [rows·steps, H] with every image token's row replaced by its image feature, in order. */
  private inputEmbeddings(ids: Int32Array, images: readonly LlavaOnevisionPixels[]): Tensor {
    return tf.tidy(() => {
      const tokens = gatherRows(this.weights.get(`${this.naming.text}.embed_tokens.weight`), tf.tensor1d(ids, 'int32'));
      if (images.length === 0) return tokens;
      return placeImageFeatures(tokens, tf.concat(images.map((image) => this.imageFeatures(image))), ids, this.parsed.imageTokenId);
    });
  }

  private rope(positions: ArrayLike<number>, rows: number, steps: number): RotaryInputs {
    const { cos, sin } = rotaryTables(positions, this.inverseFrequencies);
    const shape: [number, number, number, number] = [rows, 1, steps, this.parsed.text.headDim];
    return { cos: tf.tensor4d(cos, shape), sin: tf.tensor4d(sin, shape) };
  }

  /** Hidden states [B, T, H] of a right-padded batch. */
  private hidden(batch: TrainingBatch): Tensor {
    if (!isLlavaOnevisionBatch(batch)) throw new TypeError(`${this.architecture} reads batches made by its own prepareTrainingBatch`);
    const { batch: b, steps } = batch;
    return tf.tidy(() => {
      const inputs = tf.reshape(this.inputEmbeddings(batch.ids, batch.images), [b, steps, this.parsed.text.hiddenSize]);
      const bias = causalPaddingBias(tf.tensor2d(batch.valid, [b, steps]), steps);
      const positions = Int32Array.from({ length: b * steps }, (_, i) => i % steps);
      return qwen2Decoder(inputs, this.weights, this.parsed.text, this.naming.text, this.rope(positions, b, steps), bias).hidden;
    });
  }

  logits(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const c = this.parsed.text;
      const flat = tf.reshape(this.hidden(batch), [batch.batch * batch.steps, c.hiddenSize]);
      return tf.reshape(qwen2Logits(flat, this.weights, c, this.naming.text, this.naming.head), [batch.batch, batch.steps, c.vocabSize]);
    });
  }

  tokenLogProbs(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const c = this.parsed.text;
      return lossPositionLogProbs(tf.reshape(this.hidden(batch), [batch.batch * batch.steps, c.hiddenSize]), batch, c.vocabSize, (rows) => qwen2Logits(rows, this.weights, c, this.naming.text, this.naming.head));
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
      const positions = Int32Array.from({ length: rows.length * steps }, (_, i) => Math.max(0, (i % steps) - (offsets[Math.floor(i / steps)] as number)));
      const decoding = { weights: this.weights, decoder: c, prefix: this.naming.text, head: this.naming.head, tokenizer: this.tokenizer, stopTokenIds: this.stopTokenIds, inverseFrequencies: this.inverseFrequencies };
      return qwen2DecodeRows(
        decoding,
        {
          rows: rows.length,
          steps,
          valid,
          nextPositions: prompts.map((p) => p.ids.length),
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

  clone(): LlavaOnevisionForConditionalGeneration {
    const copy = new LlavaOnevisionForConditionalGeneration(this.config, this.parsed, this.processor, this.tokenizer, this.weights.copy(), this.naming, this.layout, this.sourceDir, this.generationConfig, this.extraFiles, this.options);
    copy.frozen = true;
    return copy;
  }

  dispose(): void {
    this.weights.dispose();
  }
}
