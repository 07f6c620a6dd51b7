import { type Tensor, tf } from '../tf';

/**
 * Rotary embedding frequencies 1 / θ^(2i/d), i < d/2, rounded to float32 at each step the way
 * PyTorch computes them in float32 (transformers' default RoPE), so angles match its to the ulp.
 *
 * @example
 * rotaryInverseFrequencies(4, 10000); // [1, 0.01]
 */
export function rotaryInverseFrequencies(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  if (!Number.isInteger(half)) throw new RangeError(`rotary embeddings need an even head dimension, got ${headDim}`);
  return Float32Array.from({ length: half }, (_, i) => Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim))));
}

/**
 * cos and sin tables [positions.length × headDim] for one position per token: angle p·f for each
 * frequency f, the frequencies repeated for the two halves of the head (rotate-half layout).
 */
export function rotaryTables(positions: ArrayLike<number>, inverseFrequencies: Float32Array): { cos: Float32Array; sin: Float32Array } {
  const half = inverseFrequencies.length;
  const dim = 2 * half;
  const cos = new Float32Array(positions.length * dim);
  const sin = new Float32Array(positions.length * dim);
  for (let t = 0; t < positions.length; t++) {
    const p = positions[t] as number;
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * (inverseFrequencies[i] as number));
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * dim + i] = c;
      cos[t * dim + half + i] = c;
      sin[t * dim + i] = s;
      sin[t * dim + half + i] = s;
    }
  }
  return { cos, sin };
}

/** (−x₂, x₁) for the two halves x₁, x₂ of the last axis. */
function rotateHalf(x: Tensor): Tensor {
  const half = (x.shape[x.rank - 1] as number) / 2;
  const [x1, x2] = tf.split(x, [half, half], -1) as [Tensor, Tensor];
  return tf.concat([tf.neg(x2), x1], -1);
}

/**
 * Rotates queries or keys x [B, heads, T, D] by their positions: x·cos + rotate_half(x)·sin, with
 * cos and sin [B, 1, T, D] (see {@link rotaryTables}).
 *
 * @example
 * const rotated = applyRotary(q, cos, sin);
 */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)));
}
