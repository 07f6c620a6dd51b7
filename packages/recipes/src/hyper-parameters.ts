import type { Backbone } from './backbones';

/**
 * PA-SFT at paper scale (the iad-r1 docs/METHOD.md §5 and the authors' LLaMA-Factory scripts): full fine-tuning,
 * AdamW, cosine schedule, 100 warm-up steps, weight decay 0.1, bf16, DeepSpeed ZeRO-3, per-device
 * batch 1 with 2 accumulation steps on 4 GPUs. The learning rate and cutoff length are per backbone.
 */
export interface PaSftHyperParameters {
  learningRate: number;
  epochs: number;
  warmupSteps: number;
  weightDecay: number;
  perDeviceBatchSize: number;
  gradientAccumulationSteps: number;
  cutoffLen: number;
  /** `full` (the paper) or `lora`. */
  finetuning: 'full' | 'lora';
  loraRank: number;
  gpus: number;
  saveSteps: number;
  loggingSteps: number;
}

/**
 * SC-GRPO at paper scale (the iad-r1 docs/METHOD.md §4 and the authors' scripts): G = 4 completions per prompt,
 * 512 new tokens, β = 0.04 against the PA-SFT model, one epoch, images capped at 480,000 pixels,
 * per-device batch 1 with 2 accumulation steps, bf16, ZeRO-3, vLLM for generation. The authors'
 * script leaves the learning rate at TRL's default, 1e-6.
 */
export interface ScGrpoHyperParameters {
  generations: number;
  maxNewTokens: number;
  beta: number;
  epochs: number;
  learningRate: number;
  temperature: number;
  clipEpsilon: number;
  maxPixels: number;
  maxPromptLength: number;
  perDevicePrompts: number;
  gradientAccumulationSteps: number;
  /** GPUs on the node (the authors: 4, three training and one serving vLLM). */
  gpus: number;
  saveSteps: number;
}

/** What `--sft-epochs`, `--lora` and friends may override. */
export interface HyperParameterOverrides {
  sftEpochs?: number;
  lora?: boolean;
  loraRank?: number;
  gpus?: number;
}

/** The paper's PA-SFT settings for a backbone. 2 epochs as the paper states (the authors' scripts run 1). */
export function paSftHyperParameters(backbone: Backbone, overrides: HyperParameterOverrides = {}): PaSftHyperParameters {
  return {
    learningRate: backbone.sftLearningRate,
    epochs: overrides.sftEpochs ?? 2,
    warmupSteps: 100,
    weightDecay: 0.1,
    perDeviceBatchSize: 1,
    gradientAccumulationSteps: 2,
    cutoffLen: backbone.sftCutoffLen,
    finetuning: overrides.lora ? 'lora' : 'full',
    loraRank: overrides.loraRank ?? 8,
    gpus: overrides.gpus ?? 4,
    saveSteps: 500,
    loggingSteps: 5,
  };
}

/** The paper's SC-GRPO settings for a backbone. */
export function scGrpoHyperParameters(backbone: Backbone, overrides: HyperParameterOverrides = {}): ScGrpoHyperParameters {
  return {
    generations: 4,
    maxNewTokens: 512,
    beta: 0.04,
    epochs: 1,
    learningRate: 1e-6,
    temperature: 1.0,
    clipEpsilon: 0.2,
    maxPixels: 480_000,
    maxPromptLength: backbone.grpoMaxPromptLength,
    perDevicePrompts: 1,
    gradientAccumulationSteps: 2,
    gpus: overrides.gpus ?? 4,
    saveSteps: 100,
  };
}
