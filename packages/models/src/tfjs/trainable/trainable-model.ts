import type { ChatMessage } from '../../chat';
import type { VisionLanguageModel } from '../../vision-language-model';
import type { Tensor, Variable } from '../tf';
import type { LinearModule, WeightSet } from '../nn/weights';

/** An example to train on: a prompt (chat messages with images) and its completion. */
export interface TrainingExample {
  messages: ChatMessage[];
  /** The assistant text to learn; default: the content of a final assistant message. */
  completion?: string;
  /** Exact completion token ids (e.g. as sampled in GRPO), used instead of tokenising `completion`. */
  completionIds?: readonly number[];
  /** Append the model's end-of-turn token after the completion (default true; false for a completion cut at the budget, or one whose ids already end with it). */
  appendEos?: boolean;
}

/**
 * A teacher-forcing batch as host arrays, right-padded: what the trainers read. Each model adds
 * its own inputs (images, their placement, positions) to the object it returns and reads them back
 * in {@link TrainableModel.tokenLogProbs}; a batch made by one model is not for another.
 */
export interface TrainingBatch {
  batch: number;
  steps: number;
  /** [batch × steps] input ids. */
  ids: Int32Array;
  /** [batch × steps] the next token at each position (0 where none). */
  targets: Int32Array;
  /** [batch × steps] 1 where the target is a completion token (answer or end of turn), else 0. */
  lossMask: Float32Array;
  /** [batch × steps] 1 for real tokens, 0 for padding. */
  valid: Float32Array;
}

/** How {@link TrainableModel.save} writes a model with LoRA adapters. */
export interface SaveOptions {
  /** Fold the adapters into the weights and write a plain checkpoint (no adapter files). Default false. */
  merged?: boolean;
}

/**
 * What PA-SFT and SC-GRPO need from an in-process model, whatever its architecture: chat
 * examples into a training batch, differentiable per-token log-probabilities, its weights by name
 * (with groups to freeze and the linear layers LoRA may adapt), a frozen clone for GRPO's
 * reference policy, saving and restoring, and `generate` with token ids and log-probabilities.
 * `TinyVLM` and the Hugging Face architectures implement it; the trainers know nothing else.
 *
 * @example
 * const model = await loadModel('checkpoints/qwen2-tiny');
 * const batch = await model.prepareTrainingBatch([{ messages, completion: '<answer>No</answer>' }]);
 * const logProbs = model.tokenLogProbs(batch); // [batch, steps]
 */
export interface TrainableModel extends VisionLanguageModel {
  /** The registry name of the architecture, e.g. `iad-r1-tiny-vlm`, `qwen2`. */
  readonly architecture: string;
  /** The folder the base weights were loaded from, when they came from disk (LoRA adapters point at it). */
  readonly sourceDir: string | undefined;
  /** The weights, declared once; LoRA adapters attach here. */
  readonly weights: WeightSet;
  /** Named groups of weights a trainer may freeze, e.g. `vision` (the vision tower and projector). */
  readonly variableGroups: Readonly<Record<string, RegExp>>;
  /** The linear layers, by module name (what LoRA may adapt). */
  linearModules(): LinearModule[];
  /** LoRA's target modules when none are given (the language model's linear layers), as PEFT's `target_modules`. */
  readonly defaultLoraTargets: readonly string[] | string;
  /** Tokenises examples for teacher forcing: prompt, completion and end of turn; the loss mask covers the completion only. */
  prepareTrainingBatch(examples: readonly TrainingExample[]): Promise<TrainingBatch>;
  /** Log-probability of each target token, [batch, steps] (differentiable; multiply by `lossMask`). */
  tokenLogProbs(batch: TrainingBatch): Tensor;
  /** Logits [batch, steps, vocabulary] at every position (for checks against other implementations; training reads `tokenLogProbs`). */
  logits(batch: TrainingBatch): Tensor;
  /** Every weight with its name: base weights, then LoRA adapters. */
  namedVariables(): Array<[string, Variable]>;
  /** What an optimiser may update: the base weights, or only the adapters once LoRA is applied; none for a frozen clone. */
  trainableVariables(): Array<[string, Variable]>;
  /** A copy with the same weights (and adapters) that trains nothing: GRPO's reference policy. */
  clone(): TrainableModel;
  /** Writes the model into `dir` so that `loadModel(dir)` opens it again. */
  save(dir: string, options?: SaveOptions): Promise<void>;
  /** Assigns the weights (and adapters) that `save` wrote into `dir` to this model's variables (resuming a run). */
  restore(dir: string): Promise<void>;
  parameterCount(): number;
  dispose(): void;
}
