import { type Tensor, tf } from '../tf';

/** GELU, sigmoid approximation x·σ(1.702x): only ops whose gradients every backend has. */
export function sigmoidGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** SiLU (swish), x·σ(x): the gate of Qwen2's SwiGLU MLP. */
export function silu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
