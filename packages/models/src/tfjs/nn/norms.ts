import { type Tensor, tf } from '../tf';

/** Layer normalisation over the last axis, (x − mean) / √(var + ε) · gain + bias. */
export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor, epsilon = 1e-5): Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(variance, epsilon))), gain), bias);
  });
}

/** Root-mean-square normalisation over the last axis (Qwen2, T5): x / √(mean(x²) + ε) · weight. */
export function rmsNorm(x: Tensor, weight: Tensor, epsilon: number): Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), epsilon))), weight));
}
