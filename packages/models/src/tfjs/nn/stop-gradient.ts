import { type Tensor, tf } from '../tf';

const identityWithoutGradient = tf.customGrad((x, save) => {
  void save;
  return { value: tf.clone(x as Tensor), gradFunc: (dy) => tf.zerosLike(dy as Tensor) };
});

/**
 * x as a constant: the same values, no gradient through it (PyTorch's `detach`). GRPO's
 * π_θold when each batch is used once: the ratio π_θ / π_θold is then exactly 1, with the
 * gradient of π_θ, and no second forward pass.
 *
 * @example
 * const ratio = tf.exp(tf.sub(logProbs, stopGradient(logProbs))); // ones, ∇ = ∇logProbs
 */
export function stopGradient(x: Tensor): Tensor {
  return identityWithoutGradient(x) as Tensor;
}
