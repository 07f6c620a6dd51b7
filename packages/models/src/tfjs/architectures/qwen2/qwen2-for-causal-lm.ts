import { join, resolve } from 'node:path';
import type { ChatMessage } from '../../../chat';
import type { Completion, GenerateOptions, GenerateResult } from '../../../vision-language-model';
import { CheckpointWeights } from '../../checkpoint/checkpoint-weights';
import { dtypeOfTorchName } from '../../checkpoint/dtype';
import { type WeightLayout, layoutOf, loadWeightSet, restoreModelWeights, shardedLayout } from '../../checkpoint/weights-io';
import { decodeLoop } from '../../generation/decode-loop';
import { mulberry32 } from '../../generation/seeded-random';
import { type KvCache, MASKED, causalPaddingBias } from '../../nn/attention';
import { gatherRows } from '../../nn/gather-rows';
import { rotaryInverseFrequencies, rotaryTables } from '../../nn/rotary';
import { type LinearModule, WeightSet } from '../../nn/weights';
import { type Tensor, type Variable, tf } from '../../tf';
import { HfTokenizer } from '../../tokenizer/hf-tokenizer';
import { completionIdsOf, rightPaddedBatch } from '../../trainable/teacher-forcing';
import type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from '../../trainable/trainable-model';
import { leftPadded, lossPositionLogProbs, stopTokenIdsOf } from '../causal-lm-parts';
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
  private readonly inverseFrequencies: Float32Array;
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
    const tokenizer = await HfTokenizer.fromDir(dir);
    const generationConfig = await readGenerationConfig(dir);
    const checkpoint = await CheckpointWeights.open(dir);
    try {
      const specs = qwen2DecoderSpecs(decoder, PREFIX, HEAD, 0);
      const weights = await loadWeightSet(specs, checkpoint);
      const fallback = shardedLayout(specs, dtypeOfTorchName((config.torch_dtype ?? config.dtype) as string | undefined) ?? 'F32');
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
    const layout = shardedLayout(specs, dtypeOfTorchName((full.torch_dtype ?? full.dtype) as string | undefined) ?? 'F32', options.maxShardBytes);
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
    const prompt = messages[messages.length - 1]?.role === 'assistant' ? messages.slice(0, -1) : messages;
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
    const n = options.n ?? 1;
    const expanded = requests.flatMap((messages) => Array.from({ length: n }, () => messages));
    const random = mulberry32(options.seed ?? 0);
    const size = this.options.generationBatchSize ?? 8;
    const completions: Completion[] = [];
    for (let start = 0; start < expanded.length; start += size) {
      if (options.signal?.aborted) throw options.signal.reason;
      completions.push(...(await this.generateBatch(expanded.slice(start, start + size), options, random)));
    }
    return requests.map((_, i) => ({ completions: completions.slice(i * n, (i + 1) * n) }));
  }

  private async generateBatch(requests: ChatMessage[][], options: GenerateOptions, random: () => number): Promise<Completion[]> {
    const c = this.decoder;
    const prompts = requests.map((m) => this.promptIds(m));
    const rows = prompts.length;
    const { ids, steps, offsets, valid } = leftPadded(prompts, this.stopTokenIds[0] as number);
    const positions = Int32Array.from({ length: rows * steps }, (_, i) => Math.max(0, (i % steps) - (offsets[Math.floor(i / steps)] as number)));
    let caches: KvCache[] = [];
    const lastLogits = (hidden: Tensor, at: number) => tf.tidy(() => qwen2Logits(tf.reshape(tf.slice(hidden, [0, at, 0], [rows, 1, c.hiddenSize]), [rows, c.hiddenSize]), this.weights, c, PREFIX, HEAD));
    return decodeLoop(
      {
        prefill: () =>
          tf.tidy(() => {
            const bias = causalPaddingBias(tf.tensor2d(valid.flat(), [rows, steps]), steps);
            const out = qwen2Decoder(tf.reshape(this.embed(ids), [rows, steps, c.hiddenSize]), this.weights, c, PREFIX, this.rope(positions, rows, steps), bias, []);
            caches = out.caches;
            return lastLogits(out.hidden, steps - 1);
          }),
        step: (next, step) => {
          for (let b = 0; b < rows; b++) valid[b]!.push(1);
          const total = steps + step + 1;
          const previous = caches;
          const logits = tf.tidy(() => {
            const bias = tf.reshape(tf.mul(tf.sub(1, tf.tensor2d(valid.flat(), [rows, total])), MASKED), [rows, 1, 1, total]);
            const rope = this.rope(prompts.map((p) => p.length + step), rows, 1);
            const out = qwen2Decoder(tf.reshape(this.embed(next), [rows, 1, c.hiddenSize]), this.weights, c, PREFIX, rope, bias, previous);
            caches = out.caches;
            return lastLogits(out.hidden, 0);
          });
          for (const cache of previous) tf.dispose([cache.k, cache.v]);
          return logits;
        },
        dispose: () => {
          for (const cache of caches) tf.dispose([cache.k, cache.v]);
          caches = [];
        },
      },
      {
        rows,
        vocabSize: c.vocabSize,
        maxNewTokens: options.maxNewTokens ?? 512,
        temperature: options.temperature ?? 0,
        ...(options.topK !== undefined ? { topK: options.topK } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        stopTokenIds: this.stopTokenIds,
        ...(options.stop ? { stopStrings: options.stop } : {}),
        decode: (tokens) => this.tokenizer.decode(tokens),
        random,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
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
