import { type Tensor, tf } from '../tf';
import type { TrainableModel, TrainingBatch } from './trainable-model';

/**
 * PA-SFT's loss (docs/METHOD.md §5): the mean negative log-likelihood of the completion tokens of the
 * batch, prompt, image and padding positions masked out. Differentiable.
 *
 * @example
 * const { value, grads } = tf.variableGrads(() => sftLoss(model, batch) as tf.Scalar, variables);
 */
export function sftLoss(model: Pick<TrainableModel, 'tokenLogProbs'>, batch: TrainingBatch): Tensor {
  return tf.tidy(() => {
    const mask = tf.tensor2d(batch.lossMask, [batch.batch, batch.steps]);
    return tf.div(tf.neg(tf.sum(tf.mul(model.tokenLogProbs(batch), mask))), tf.maximum(tf.sum(mask), 1));
  });
}
