import type { Variable } from '../tf';

/**
 * Options every IAD-R1 trainer (PA-SFT, SC-GRPO) shares. Defaults are the trainer's own and are
 * listed in its documentation.
 */
export interface TrainingLoopOptions<StepMetrics> {
  /** Output folder: `metrics.jsonl`, `checkpoints/step-NNNNNN/`, `checkpoints/latest.json`. */
  out: string;
  /** Peak learning rate of the schedule. */
  learningRate?: number;
  /** Linear warm-up steps before the schedule's main phase. */
  warmupSteps?: number;
  /** AdamW decoupled weight decay. */
  weightDecay?: number;
  /** Clip the global gradient norm to this; default 1. */
  maxGradNorm?: number;
  /** Seed of the data order and sampling; default 0. */
  seed?: number;
  /** Write a checkpoint every N steps (and at the end); default 0 = only at the end. */
  checkpointEvery?: number;
  /** Checkpoints kept on disk; default 2. */
  keepCheckpoints?: number;
  /** Continue from the latest checkpoint in `out` when there is one; default true. */
  resume?: boolean;
  /** Called after every step with what was appended to `metrics.jsonl`. */
  onStep?: (metrics: StepMetrics) => void;
  /** Notices (resume, …). */
  log?: (line: string) => void;
  /** Stops after the current step; a checkpoint is written. */
  signal?: AbortSignal;
  /**
   * Keep the vision path (patch embedding, stem, vision blocks, projector) fixed and train only
   * the decoder — for a model whose vision was pretrained (`pretrainVision`), so its features are
   * not washed out by the decoder's large early gradients. Default false (full fine-tuning).
   */
  freezeVision?: boolean;
}

/** The variables a trainer updates: all of the model's, or the decoder's only with `freezeVision`. */
export function trainedVariables(model: { namedVariables(): Array<[string, Variable]>; visionVariables(): Array<[string, Variable]> }, freezeVision = false): Array<[string, Variable]> {
  if (!freezeVision) return model.namedVariables();
  const vision = new Set(model.visionVariables().map(([name]) => name));
  return model.namedVariables().filter(([name]) => !vision.has(name));
}
