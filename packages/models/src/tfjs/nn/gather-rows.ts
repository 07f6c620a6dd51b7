import { type Tensor, tf } from '../tf';

// tf.gather's gradient needs the UnsortedSegmentSum kernel, which the wasm backend lacks; its
// ScatterNd kernel sums rows that repeat, which is that gradient exactly.
const gatherWithScatterGradient = tf.customGrad((table, indices, save) => {
  const t = table as Tensor;
  const i = indices as Tensor;
  (save as (tensors: Tensor[]) => void)([i]);
  const rows = t.shape[0] as number;
  const rest = t.shape.slice(1);
  return {
    value: tf.gather(t, i),
    gradFunc: (dy, saved) => {
      const [idx] = saved as [Tensor];
      const g = dy as Tensor;
      return [tf.scatterND(tf.reshape(idx, [-1, 1]), tf.reshape(g, [-1, ...rest]), [rows, ...rest]), tf.zerosLike(idx)];
    },
  };
});

/**
 * Rows `indices` (int32, 1-D) of `table` [rows, ...]: an embedding lookup, or picking the
 * positions a loss reads. Differentiable in `table` on every backend (the wasm one included).
 *
 * @example
 * const embedded = gatherRows(embedTokens, tf.tensor1d([5, 9, 5], 'int32')); // [3, hidden]
 */
export function gatherRows(table: Tensor, indices: Tensor): Tensor {
  return gatherWithScatterGradient(table, indices) as Tensor;
}
