import { type Tensor, tf } from './tf';

// TensorFlow.js's wasm backend multiplies a transposed operand several times slower than a plain
// one (measured on the project's 2-core machine: [624,512]ᵀ·[624,96] 40 ms, transpose then
// multiply 2 ms; [624,96]·[512,96]ᵀ 19 ms against 3 ms). The gradient of every matMul multiplies
// by transposed operands, so a dense layer's backward pass ran several times slower than its
// forward pass. Transposing first (one copy) and multiplying plainly computes the same products.

/** Swaps the last two axes. */
function swapLastAxes(x: Tensor): Tensor {
  const axes = x.shape.map((_, i) => i);
  const last = axes.length - 1;
  [axes[last - 1], axes[last]] = [axes[last] as number, axes[last - 1] as number];
  return tf.transpose(x, axes);
}

const plainProduct = tf.customGrad((a, b, save) => {
  const x = a as Tensor;
  const y = b as Tensor;
  (save as (tensors: Tensor[]) => void)([x, y]);
  return {
    value: tf.matMul(x, y),
    gradFunc: (dy, saved) => {
      const [xs, ys] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      return [tf.matMul(g, swapLastAxes(ys)), tf.matMul(swapLastAxes(xs), g)];
    },
  };
});

// Outside a gradient (decoding, evaluation, GRPO's reference log-probabilities) nothing needs the
// custom gradient's saved tensors. There, a product of few rows (one new token per sequence while
// decoding) uses the transposed kernel directly: copying a whole [vocab, width] embedding or a
// growing key cache to save a multiply of one row cost more than the multiply (decode 1,306–1,426
// tokens/s against 811–1,131 with the copy, prefix 50, on the project's 2-core machine).
const FEW_ROWS = 16;

const recordingGradients = (): boolean => tf.engine().state.gradientDepth > 0;

/**
 * a [..., m, k] · b [..., k, n] (or · bᵀ for b [..., n, k] with `transposeB`), a and b of the same
 * rank (≥ 2) and batch shape. Under a gradient the product and both of its gradients are computed
 * with every transpose made explicit, never with a transposed matMul kernel (slow on the wasm
 * backend); outside one, a product of at most 16 rows by bᵀ uses the transposed kernel (cheaper
 * than copying b for so few rows).
 *
 * @example
 * const logits = untransposedMatMul(hidden, tokenEmbedding, { transposeB: true }); // [tokens, vocab]
 */
export function untransposedMatMul(a: Tensor, b: Tensor, options: { transposeB?: boolean } = {}): Tensor {
  if (a.rank < 2 || a.rank !== b.rank) throw new RangeError(`untransposedMatMul takes two tensors of the same rank ≥ 2, got ranks ${a.rank} and ${b.rank}`);
  const transposeB = options.transposeB ?? false;
  if (recordingGradients()) return tf.tidy(() => plainProduct(a, transposeB ? swapLastAxes(b) : b) as Tensor);
  if (transposeB && (a.shape[a.rank - 2] as number) <= FEW_ROWS) return tf.matMul(a, b, false, true);
  return tf.tidy(() => tf.matMul(a, transposeB ? swapLastAxes(b) : b));
}
