import { totalmem } from 'node:os';
import { IadR1Error } from '@iad-r1/errors';
import type { ArchitectureShape } from '../architectures/architecture-entry';
import { estimateMemory, formatBytes } from '../memory-estimate';
import { ARCHITECTURES } from '../model-registry';
import { tf } from '../tf';
import type { TrainableModel } from '../trainable/trainable-model';

/**
 * The wasm backend's heap ceiling: tfjs-backend-wasm 4.22 is a 32-bit WebAssembly module whose
 * Emscripten heap grows to 4 GiB − 64 KiB (`getHeapMax`) and no further. Past it `malloc` fails and
 * the next kernel dies with "RuntimeError: memory access out of bounds". Each worker thread has a
 * heap of its own.
 */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3 - 65536;

/**
 * Share of the limit a training pass may plan for: the estimate's activation term is a fit (within
 * 15 %), and a wasm heap never shrinks, so freed blocks of other sizes stay in it.
 */
const PLANNED_SHARE = 0.8;

/** Bytes one thread's tensors may take on `backend` (a `tf.getBackend()` name): the wasm heap, else the machine's memory. */
export function backendMemoryLimit(backend: string = tf.getBackend()): number {
  return backend === 'wasm' ? WASM_HEAP_LIMIT : totalmem();
}

/** The model's shape for memory estimates, from its registry entry and config; undefined when it has neither. */
export function modelShape(model: TrainableModel): ArchitectureShape | undefined {
  const entry = ARCHITECTURES.find((a) => a.name === model.architecture);
  const config = (model as { config?: Record<string, unknown> }).config;
  if (!entry || !config) return undefined;
  return entry.shape({ architecture: model.architecture, ...config }, `${model.architecture} config`);
}

/** A training step does not fit the backend even one sequence at a time. */
export class TrainingMemoryError extends IadR1Error {
  override readonly name = 'TrainingMemoryError';
  constructor(
    readonly estimatedBytes: number,
    readonly limitBytes: number,
    what: string,
  ) {
    super(`${what} needs about ${formatBytes(estimatedBytes)} in float32, more than the ${formatBytes(limitBytes)} one thread has on the ${tf.getBackend()} backend${tf.getBackend() === 'wasm' ? ' (its 32-bit heap)' : ''}; use a smaller model, shorter sequences, LoRA, or a native backend (@tensorflow/tfjs-node)`);
  }
}

/** How a thread computes its share of a batch: `passes` forward/backward passes of at most `rowsPerPass` sequences. */
export interface TrainingPassPlan {
  rowsPerPass: number;
  passes: number;
  /** Estimated bytes of one pass: the weights, gradients and optimiser moments, and one pass's activations. */
  bytesPerPass: number;
  limitBytes: number;
}

/**
 * Splits `rows` sequences of `sequenceLength` tokens into passes that fit one thread's memory on
 * the current backend, by `estimateMemory`'s count of the weights, the trained weights' gradients
 * and AdamW moments, and the activations a pass keeps for its backward pass. A model without a
 * registry shape gets one pass. Throws a {@link TrainingMemoryError} when one sequence does not fit.
 *
 * @example
 * const plan = planTrainingPasses(model, { rows: 8, sequenceLength: 256 }); // { rowsPerPass: 6, passes: 2, … } on wasm
 */
export function planTrainingPasses(model: TrainableModel, options: { rows: number; sequenceLength: number; completionLength?: number; limitBytes?: number }): TrainingPassPlan {
  const limitBytes = options.limitBytes ?? backendMemoryLimit();
  const shape = modelShape(model);
  if (!shape) return { rowsPerPass: Math.max(1, options.rows), passes: 1, bytesPerPass: 0, limitBytes };
  const parameters = model.parameterCount();
  const trained = model.trainableVariables().reduce((n, [, v]) => n + v.size, 0);
  // Weights, and for each trained one its gradient and AdamW's two moments.
  const fixed = 4 * parameters + 12 * trained;
  const bytesFor = (rows: number) =>
    fixed + estimateMemory(shape, { batch: rows, sequenceLength: options.sequenceLength, ...(options.completionLength !== undefined ? { completionLength: options.completionLength } : {}) }).activations;
  const budget = PLANNED_SHARE * limitBytes;
  if (bytesFor(1) > budget) throw new TrainingMemoryError(bytesFor(1), limitBytes, `a training pass of one ${options.sequenceLength}-token sequence of the ${model.architecture} model`);
  let rows = options.rows;
  while (rows > 1 && bytesFor(rows) > budget) rows--;
  const passes = Math.ceil(options.rows / rows);
  // As even as the passes allow: 8 rows in passes of at most 6 become 4 + 4.
  const rowsPerPass = Math.ceil(options.rows / passes);
  return { rowsPerPass, passes, bytesPerPass: bytesFor(rowsPerPass), limitBytes };
}

/**
 * The trainers' one-time log line when a thread's share takes several passes.
 *
 * @example
 * log(passesMessage({ sequences: 6, passes: 3, bytesPerPass: 1.2e9 }));
 */
export function passesMessage(share: { sequences: number; passes: number; bytesPerPass: number }): string {
  return `memory: a share of ${share.sequences} sequences needs ${share.passes} passes on one thread (about ${formatBytes(share.bytesPerPass)} each, within ${tf.getBackend()}'s limit); gradients are accumulated over them`;
}
