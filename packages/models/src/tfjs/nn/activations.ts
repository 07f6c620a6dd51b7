import { type Tensor, tf } from '../tf';

/** GELU, sigmoid approximation x·σ(1.702x): only ops whose gradients every backend has. */
export function sigmoidGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** SiLU (swish), x·σ(x): the gate of Qwen2's SwiGLU MLP. */
export function silu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** GELU with the error function, x·Φ(x) = x·(1 + erf(x/√2))/2: PyTorch's `nn.GELU()` default. */
export function erfGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** GELU with the tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): SigLIP's `gelu_pytorch_tanh`. */
export function tanhGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))));
}
