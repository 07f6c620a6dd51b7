import { type Tensor, tf } from '../tf';
import type { ShardContext } from './shard-context';

/**
 * The value of `loss` and its gradient for each synchronised variable of `context`, in their order;
 * a variable the loss does not reach (the vision tower on a text-only batch) gets zeros.
 *
 * @example
 * const { value, grads } = shardGradients(context, () => sftLoss(context.model, batch));
 */
export function shardGradients(context: Pick<ShardContext, 'variables'>, loss: () => Tensor): { value: number; grads: Tensor[] } {
  const variables = context.variables.map(([, v]) => v);
  const { value, grads } = tf.variableGrads(() => loss() as tf.Scalar, variables);
  const number = value.dataSync()[0] as number;
  value.dispose();
  return { value: number, grads: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}

/**
 * Σ_k weight_k · grads_k over shards, variable by variable, in shard order (the caller's first):
 * how a data-parallel step turns each shard's mean loss gradient into the whole batch's. The
 * inputs are left to the caller to dispose.
 *
 * @example
 * const grads = combineShardGradients([{ grads: mine, weight: 3 / 8 }, { grads: theirs, weight: 5 / 8 }], shapes);
 */
export function combineShardGradients(shards: ReadonlyArray<{ grads: ReadonlyArray<Tensor | Float32Array>; weight: number }>, shapes: ReadonlyArray<readonly number[]>): Tensor[] {
  const [only] = shards;
  // One thread: its gradients are the step's; a clone shares their storage instead of multiplying by 1.
  if (shards.length === 1 && only?.weight === 1 && only.grads.every((g) => !(g instanceof Float32Array))) return (only.grads as Tensor[]).map((g) => tf.clone(g));
  return shapes.map((shape, i) =>
    tf.tidy(() => {
      let sum: Tensor | undefined;
      for (const shard of shards) {
        const g = shard.grads[i] as Tensor | Float32Array;
        const term = tf.mul(g instanceof Float32Array ? tf.tensor(g, [...shape]) : g, shard.weight);
        sum = sum ? tf.add(sum, term) : term;
      }
      return sum ?? tf.zeros([...shape]);
    }),
  );
}

/**
 * `sum + weight · grads`, variable by variable, disposing `grads` and the old `sum`: how a thread
 * accumulates the passes of a shard too large for its memory (see `planTrainingPasses`). Starts
 * from `weight · grads` when `sum` is undefined.
 *
 * @example
 * let sum: Tensor[] | undefined;
 * for (const pass of passes) sum = accumulateWeightedGradients(sum, gradsOf(pass), pass.share);
 */
export function accumulateWeightedGradients(sum: Tensor[] | undefined, grads: Tensor[], weight: number): Tensor[] {
  const next = grads.map((g, i) => tf.tidy(() => (sum ? tf.add(sum[i] as Tensor, tf.mul(g, weight)) : tf.mul(g, weight))));
  tf.dispose([...grads, ...(sum ?? [])]);
  return next;
}
