import { CheckpointError } from '../checkpoint/checkpoint-error';
import type { SafetensorsFile, TensorToWrite } from '../checkpoint/safetensors-file';
import { type Tensor, type Variable, tf } from '../tf';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW); default 0.1, the paper's PA-SFT value. */
  weightDecay?: number;
  /** Variables that get no weight decay; default: 1-D ones (biases, norm gains) and position embeddings. */
  noDecay?: (name: string, variable: Variable) => boolean;
}

let optimizers = 0;

// As transformers' Trainer: biases and normalisation weights are not decayed; neither are learned positions.
const defaultNoDecay = (name: string, variable: Variable): boolean => variable.rank < 2 || /position/.test(name);

/**
 * AdamW (Loshchilov & Hutter): Adam moments with weight decay applied to the weights directly,
 * not through the gradient. The learning rate is passed per step so any schedule can drive it.
 * Its state saves to and loads from named tensors, so a checkpoint resumes exactly.
 *
 * @example
 * const optimizer = new AdamW(model.namedVariables(), { weightDecay: 0.1 });
 * optimizer.step(grads, 2e-5);
 */
export class AdamW {
  private readonly m: Variable[];
  private readonly v: Variable[];
  private readonly decay: boolean[];
  private readonly names: string[];
  /** Optimiser steps taken so far. */
  step_ = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  constructor(
    private readonly variables: ReadonlyArray<readonly [string, Variable]>,
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    const noDecay = options.noDecay ?? defaultNoDecay;
    const id = ++optimizers;
    this.names = variables.map(([name]) => name);
    const zeros = (name: string, v: Variable): Variable => tf.tidy(() => tf.variable(tf.zerosLike(v), false, name));
    this.m = variables.map(([name, v]) => zeros(`adamw${id}/m/${name}`, v));
    this.v = variables.map(([name, v]) => zeros(`adamw${id}/v/${name}`, v));
    this.decay = variables.map(([name, v]) => !noDecay(name, v));
  }

  /** Applies one update with gradients in the same order as the variables. */
  step(grads: readonly Tensor[], learningRate: number): void {
    this.step_++;
    const t = this.step_;
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      this.variables.forEach(([, variable], i) => {
        const g = grads[i] as Tensor;
        const m = this.m[i] as Variable;
        const v = this.v[i] as Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.epsilon));
        const decayed = this.decay[i] && this.weightDecay > 0 ? tf.mul(variable, 1 - learningRate * this.weightDecay) : variable;
        variable.assign(tf.sub(decayed, tf.mul(update, learningRate)));
      });
    });
  }

  /** Moments as tensors to write (read one at a time, for checkpoints of any size) and the step count. */
  state(): { step: number; tensors: TensorToWrite[] } {
    const tensors: TensorToWrite[] = [];
    for (const [kind, list] of [['m', this.m], ['v', this.v]] as const) {
      for (const [i, t] of list.entries()) tensors.push({ name: `${kind}/${this.names[i]}`, shape: t.shape, dtype: 'F32', values: async () => (await t.data()) as Float32Array });
    }
    return { step: this.step_, tensors };
  }

  /** Restores the moments from a file written from `state()`; names the file and the missing tensor. */
  async load(step: number, file: SafetensorsFile): Promise<void> {
    for (const [kind, list] of [['m', this.m], ['v', this.v]] as const) {
      for (const [i, t] of list.entries()) {
        const name = `${kind}/${this.names[i]}`;
        const entry = file.entries.get(name);
        if (!entry) throw new CheckpointError(file.path, 'missing from the optimizer state (was the checkpoint made with other trainable weights?)', name);
        if (entry.shape.join(',') !== t.shape.join(',')) throw new CheckpointError(file.path, `has shape [${entry.shape}], the weight has [${t.shape}]`, name);
        const values = await file.readFloat32(name);
        tf.tidy(() => t.assign(tf.tensor(values, entry.shape)));
      }
    }
    this.step_ = step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/**
 * Learning rate at a step: linear warm-up to `peak` over `warmupSteps`, then cosine decay to
 * `minRatio`·peak at `totalSteps` (docs/METHOD.md §5: cosine with 100 warm-up steps at paper scale).
 *
 * @example
 * cosineWithWarmup(0, { peak: 2e-5, warmupSteps: 100, totalSteps: 1000 }); // 2e-7
 */
export function cosineWithWarmup(step: number, options: { peak: number; warmupSteps: number; totalSteps: number; minRatio?: number }): number {
  const { peak, warmupSteps, totalSteps } = options;
  const minRatio = options.minRatio ?? 0;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`; returns the new gradients (the
 * caller disposes the old ones) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number);
  const scale = Number.isFinite(norm) && norm > maxNorm ? maxNorm / norm : 1;
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}
