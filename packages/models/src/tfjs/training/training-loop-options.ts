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
   * Keep the model's vision group (vision tower and projector) fixed and train only the language
   * model — for a model whose vision is pretrained (a real VLM's, or `pretrainVision`'s), so its
   * features are not washed out by the decoder's large early gradients. Default false.
   */
  freezeVision?: boolean;
  /** Further weights to keep fixed: exact names, or patterns tested against each weight name. */
  freeze?: ReadonlyArray<string | RegExp>;
}
