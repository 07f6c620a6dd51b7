import { join, resolve } from 'node:path';
import type { ChatMessage } from '../../../chat';
import type { GenerateOptions, GenerateResult } from '../../../vision-language-model';
import { CheckpointWeights } from '../../checkpoint/checkpoint-weights';
import { storedDtypeOf } from '../../checkpoint/dtype';
import { type WeightLayout, layoutOf, loadWeightSet, restoreModelWeights, shardedLayout } from '../../checkpoint/weights-io';
import { causalPaddingBias } from '../../nn/attention';
import { gatherRows } from '../../nn/gather-rows';
import { rotaryInverseFrequencies, rotaryTables } from '../../nn/rotary';
import { type LinearModule, WeightSet } from '../../nn/weights';
import { type Tensor, type Variable, tf } from '../../tf';
import { HfTokenizer } from '../../tokenizer/hf-tokenizer';
import { completionIdsOf, promptMessages, rightPaddedBatch } from '../../trainable/teacher-forcing';
import type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from '../../trainable/trainable-model';
import { generateInChunks, leftPadded, lossPositionLogProbs, qwen2DecodeRows, stopTokenIdsOf } from '../causal-lm-parts';
import { readGenerationConfig, readJsonFile, saveHfFolder } from '../hf-folder';
import { type Qwen2DecoderConfig, qwen2DecoderConfig } from './qwen2-config';
import { type RotaryInputs, qwen2Decoder, qwen2DecoderSpecs, qwen2LayerLinears, qwen2Logits } from './qwen2-decoder';

const PREFIX = 'model';
const HEAD = 'lm_head';

/** Options of {@link Qwen2ForCausalLM.load}. */
export interface Qwen2LoadOptions {
  /** Prompts decoded together in `generate`; default 8. */
  generationBatchSize?: number;
}

/**
 * Qwen2 (`Qwen2ForCausalLM`, `model_type: qwen2`), a text-only language model, from a Hugging
 * Face checkpoint folder: its config, tokenizer and chat template, safetensors weights (float32,
 * float16 or bfloat16, sharded or not; computed in float32). Implements `TrainableModel`, so
 * PA-SFT and SC-GRPO train it like any other, fully or with LoRA, and it saves back in the same
 * layout. The network is `qwen2-decoder.ts`; this class is its batching, generation and I/O.
 *
 * @example
 * const model = await Qwen2ForCausalLM.load('Qwen2.5-0.5B-Instruct');
 * const [result] = await model.generate([[{ role: 'user', content: 'Hello' }]], { maxNewTokens: 16 });
 */
export class Qwen2ForCausalLM implements TrainableModel {
  readonly architecture = 'qwen2';
  readonly variableGroups = {};
  readonly defaultLoraTargets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
  readonly id: string;
  private frozen = false;
  readonly inverseFrequencies: Float32Array;
  /** Tokens that end a completion: the tokenizer's end of turn, then every id the configs call end of sequence. */
  readonly stopTokenIds: number[];

  private constructor(
    readonly config: Record<string, unknown>,
    readonly decoder: Qwen2DecoderConfig,
    readonly tokenizer: HfTokenizer,
    readonly weights: WeightSet,
    private readonly layout: WeightLayout,
    readonly sourceDir: string | undefined,
    private readonly generationConfig: Record<string, unknown> | undefined,
    private readonly options: Qwen2LoadOptions,
  ) {
    this.id = `tfjs:qwen2${sourceDir ? `:${sourceDir.split(/[\\/]/).at(-1)}` : ''}`;
    this.inverseFrequencies = rotaryInverseFrequencies(decoder.headDim, decoder.ropeTheta);
    this.stopTokenIds = stopTokenIdsOf(tokenizer, generationConfig, config);
  }

  /** Opens a checkpoint folder: config.json, tokenizer files, safetensors weights. */
  static async load(dir: string, options: Qwen2LoadOptions = {}): Promise<Qwen2ForCausalLM> {
    const config = await readJsonFile(dir, 'config.json');
    const decoder = qwen2DecoderConfig(config, join(dir, 'config.json'));
    const tokenizer = await HfTokenizer.fromDir(dir, { vocabSize: decoder.vocabSize, maxPositions: decoder.maxPositions });
    const generationConfig = await readGenerationConfig(dir);
    const checkpoint = await CheckpointWeights.open(dir);
    try {
      const specs = qwen2DecoderSpecs(decoder, PREFIX, HEAD, 0);
      const weights = await loadWeightSet(specs, checkpoint);
      const fallback = shardedLayout(specs, storedDtypeOf(config));
      return new Qwen2ForCausalLM(config, decoder, tokenizer, weights, layoutOf(checkpoint, fallback), resolve(dir), generationConfig, options);
    } finally {
      await checkpoint.close();
    }
  }

  /**
   * A freshly initialised model (normal(0, initializer_range), seeded) for a config and a
   * tokenizer — tiny random checkpoints for tests and experiments. Saved in `dtype` (default the
   * config's `torch_dtype`, else float32), in shards of at most `maxShardBytes`.
   */
  static create(config: Record<string, unknown>, tokenizer: HfTokenizer, options: Qwen2LoadOptions & { seed?: number; maxShardBytes?: number; generationConfig?: Record<string, unknown> } = {}): Qwen2ForCausalLM {
    const full: Record<string, unknown> = { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...config };
    const decoder = qwen2DecoderConfig(full, 'config.json');
    if (tokenizer.size > decoder.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.size} ids but vocab_size is ${decoder.vocabSize}`);
    const specs = qwen2DecoderSpecs(decoder, PREFIX, HEAD, options.seed ?? 0);
    const layout = shardedLayout(specs, storedDtypeOf(full), options.maxShardBytes);
    return new Qwen2ForCausalLM(full, decoder, tokenizer, WeightSet.initialise(specs), layout, undefined, options.generationConfig, options);
  }

  namedVariables(): Array<[string, Variable]> {
    return this.weights.named();
  }

  trainableVariables(): Array<[string, Variable]> {
    return this.frozen ? [] : this.weights.trainable();
  }

  linearModules(): LinearModule[] {
    return Array.from({ length: this.decoder.layers }, (_, i) => qwen2LayerLinears(this.decoder, PREFIX, i)).flat();
  }

  parameterCount(): number {
    return this.weights.parameterCount();
  }

  /** Prompt ids of a conversation: the chat template with the generation prompt, tokenised. A final assistant message is left out (it is the completion). */
  promptIds(messages: readonly ChatMessage[]): number[] {
    const prompt = promptMessages(messages);
    return this.tokenizer.encode(this.tokenizer.renderChat(prompt, { addGenerationPrompt: true, textOnly: true }));
  }

  /** Rotary tables [B, 1, T, D] for positions [B × T]. */
  private rope(positions: ArrayLike<number>, batch: number, steps: number): RotaryInputs {
    const { cos, sin } = rotaryTables(positions, this.inverseFrequencies);
    const shape: [number, number, number, number] = [batch, 1, steps, this.decoder.headDim];
    return { cos: tf.tensor4d(cos, shape), sin: tf.tensor4d(sin, shape) };
  }

  private embed(ids: Int32Array): Tensor {
    return gatherRows(this.weights.get(`${PREFIX}.embed_tokens.weight`), tf.tensor1d(ids, 'int32'));
  }

  async prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<TrainingBatch> {
    const endOfTurn = this.stopTokenIds[0] as number;
    return rightPaddedBatch(
      examples.map((example, i) => {
        const prompt = this.promptIds(example.messages);
        return { ids: [...prompt, ...completionIdsOf(example, i, (text) => this.tokenizer.encode(text), endOfTurn)], promptLength: prompt.length };
      }),
    );
  }

  /** Hidden states [B, T, H] of a right-padded batch (positions 0, 1, … in every row). */
  private hidden(batch: TrainingBatch): Tensor {
    const { batch: b, steps } = batch;
    return tf.tidy(() => {
      const positions = Int32Array.from({ length: b * steps }, (_, i) => i % steps);
      const rope = this.rope(positions, b, steps);
      const bias = causalPaddingBias(tf.tensor2d(batch.valid, [b, steps]), steps);
      const inputs = tf.reshape(this.embed(batch.ids), [b, steps, this.decoder.hiddenSize]);
      return qwen2Decoder(inputs, this.weights, this.decoder, PREFIX, rope, bias).hidden;
    });
  }

  /** Logits [B, T, V] at every position of a batch (for checks against other implementations; training reads `tokenLogProbs`). */
  logits(batch: TrainingBatch): Tensor {
    return tf.tidy(() => {
      const h = this.hidden(batch);
      return tf.reshape(qwen2Logits(tf.reshape(h, [batch.batch * batch.steps, this.decoder.hiddenSize]), this.weights, this.decoder, PREFIX, HEAD), [batch.batch, batch.steps, this.decoder.vocabSize]);
    });
  }

  /** Log-probability of each target token, [B, T], at the completion positions only (0 elsewhere). */
  tokenLogProbs(batch: TrainingBatch): Tensor {
    return tf.tidy(() =>
      lossPositionLogProbs(tf.reshape(this.hidden(batch), [batch.batch * batch.steps, this.decoder.hiddenSize]), batch, this.decoder.vocabSize, (rows) => qwen2Logits(rows, this.weights, this.decoder, PREFIX, HEAD)),
    );
  }

  async generate(requests: readonly ChatMessage[][], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    return generateInChunks(requests, options, this.options.generationBatchSize ?? 8, async (rows, random) => {
      const prompts = rows.map((m) => this.promptIds(m));
      const { ids, steps, offsets, valid } = leftPadded(prompts, this.stopTokenIds[0] as number);
      const positions = Int32Array.from({ length: rows.length * steps }, (_, i) => Math.max(0, (i % steps) - (offsets[Math.floor(i / steps)] as number)));
      const decoding = { weights: this.weights, decoder: this.decoder, prefix: PREFIX, head: HEAD, tokenizer: this.tokenizer, stopTokenIds: this.stopTokenIds, inverseFrequencies: this.inverseFrequencies };
      return qwen2DecodeRows(
        decoding,
        {
          rows: rows.length,
          steps,
          valid,
          nextPositions: prompts.map((p) => p.length),
          prefill: () => ({ inputs: tf.reshape(this.embed(ids), [rows.length, steps, this.decoder.hiddenSize]), rope: this.rope(positions, rows.length, steps) }),
        },
        options,
        random,
      );
    });
  }

  /**
   * Writes the model in Hugging Face layout (same files, tensor names and dtypes as it was loaded
   * with); with LoRA adapters and a base on disk, only the PEFT adapter (unless `merged`).
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const extraFiles = !this.sourceDir && this.generationConfig ? { 'generation_config.json': this.generationConfig } : {};
    await saveHfFolder(dir, { config: this.config, tokenizer: this.tokenizer, weights: this.weights, layout: this.layout, sourceDir: this.sourceDir, extraFiles }, options);
  }

  async restore(dir: string): Promise<void> {
    await restoreModelWeights(dir, this.weights);
  }

  clone(): Qwen2ForCausalLM {
    const weights = this.weights.copy();
    const copy = new Qwen2ForCausalLM(this.config, this.decoder, this.tokenizer, weights, this.layout, this.sourceDir, this.generationConfig, this.options);
    copy.frozen = true;
    return copy;
  }

  dispose(): void {
    this.weights.dispose();
  }
}
