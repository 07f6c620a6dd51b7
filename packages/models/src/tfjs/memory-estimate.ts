import type { ArchitectureShape } from './architectures/architecture-entry';
import { isLoraTarget } from './lora/lora-settings';

// Float32 values that a training step of this implementation keeps alive after its forward pass,
// per token and decoder layer, as a function of the hidden size H, the MLP size I, the query heads
// nH and the sequence length T: 58·H + 11·I + 4.4·nH·T. Fitted to tf.memory() measured after the
// forward pass of tiny Qwen2 configs (H 64–128, I 128–256, 2–4 layers, 4–8 heads, T 111–303, cpu
// backend); within 15 % of each of them. `pnpm --filter @iad-r1/models bench` prints the measured
// value beside this estimate, so a change to the implementation that moves it shows.
const PER_HIDDEN = 58;
const PER_INTERMEDIATE = 11;
const PER_HEAD_KEY = 4.4;
// The completion positions' logits, their log-softmax and its gradient: three [tokens, V] tensors.
const PER_LOGIT = 3;

/** What an estimate is for: the batch and sequence length, and the LoRA rank and targets if any. */
export interface MemoryEstimateOptions {
  sequenceLength: number;
  batch?: number;
  /** Completion tokens per sequence (the positions whose logits training computes); default a quarter of the sequence. */
  completionLength?: number;
  loraRank?: number;
  /** LoRA targets (default: the architecture's default linear layers). */
  loraTargets?: readonly string[] | string;
  /** Images per sequence and pixels per image, for architectures with a vision tower (default none). */
  images?: number;
  imagePixels?: number;
}

/** Bytes, by part. */
export interface MemoryEstimate {
  parameters: number;
  loraParameters: number;
  /** Weights in float32. */
  weights: number;
  /** Inference: weights, the KV cache of every layer, one layer's working set during the prompt pass. */
  inference: number;
  /** Full fine-tuning with AdamW: weights, gradients, two moments, activations kept for the backward pass. */
  fullFineTuning: number;
  /** LoRA: frozen weights, adapters with their gradients and moments, activations. */
  lora: number;
  activations: number;
  kvCache: number;
  /** The formulas, for display. */
  formulas: Record<'inference' | 'fullFineTuning' | 'lora' | 'activations', string>;
}

/**
 * Float32 memory estimates for a model shape (from `ARCHITECTURES[i].shape(config)`): inference,
 * full fine-tuning with AdamW, and LoRA, at a batch and sequence length. The activation term is
 * fitted to this implementation (see the comment in this file); weights, gradients, moments and the
 * KV cache are exact counts.
 *
 * @example
 * estimateMemory(qwen2Architecture.shape(config, 'config.json'), { sequenceLength: 1024, loraRank: 16 });
 */
export function estimateMemory(shape: ArchitectureShape, options: MemoryEstimateOptions): MemoryEstimate {
  const batch = options.batch ?? 1;
  const T = options.sequenceLength;
  const tokens = batch * T;
  const completion = batch * (options.completionLength ?? Math.ceil(T / 4));
  const parameters = shape.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const targets = options.loraTargets ?? [];
  const rank = options.loraRank ?? 0;
  const adapted = options.loraTargets ? shape.linears.filter((l) => isLoraTarget(l.module, targets)) : shape.defaultLoraLinears;
  const loraParameters = adapted.reduce((n, l) => n + rank * (l.inFeatures + l.outFeatures), 0);
  const weights = 4 * parameters;
  const kvCache = 4 * tokens * shape.layers * 2 * shape.kvHeads * shape.headDim;
  const perLayer = PER_HIDDEN * shape.hiddenSize + PER_INTERMEDIATE * shape.intermediateSize + PER_HEAD_KEY * shape.heads * T;
  // The vision tower, with the same coefficients per patch and block (each image attends to itself).
  const v = shape.vision;
  const patches = v && options.images ? (v.patchesPerImage ? v.patchesPerImage(options.imagePixels ?? 0, options.images) : Math.floor((options.imagePixels ?? 0) / v.patchSize ** 2)) : 0;
  const perBlock = v ? PER_HIDDEN * v.width + PER_INTERMEDIATE * v.mlpWidth + PER_HEAD_KEY * v.heads * Math.min(patches, v.attentionSpan ?? patches) : 0;
  const vision = v && options.images ? batch * options.images * patches * v.depth * perBlock : 0;
  const activations = 4 * (tokens * shape.layers * perLayer + vision + PER_LOGIT * completion * shape.vocabSize);
  const promptPass = 4 * (tokens * perLayer + (v && options.images ? patches * perBlock : 0));
  return {
    parameters,
    loraParameters,
    weights,
    kvCache,
    activations,
    inference: weights + kvCache + promptPass,
    fullFineTuning: 4 * weights + activations,
    lora: weights + 16 * loraParameters + activations,
    formulas: {
      inference: '4·P + KV cache (4·B·T·layers·2·kvHeads·headDim) + one layer of the prompt pass',
      fullFineTuning: '16·P (weights, gradients, AdamW m and v) + activations',
      lora: '4·P + 16·P_lora + activations',
      activations: `4·(B·T·layers·(${PER_HIDDEN}·H + ${PER_INTERMEDIATE}·I + ${PER_HEAD_KEY}·heads·T)${v ? ` + B·images·patches·vision blocks·(${PER_HIDDEN}·E + ${PER_INTERMEDIATE}·I_vision + ${PER_HEAD_KEY}·vision heads·patches)` : ''} + ${PER_LOGIT}·completion tokens·V)`,
    },
  };
}

/** Bytes as GiB / MiB / KiB text. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}
