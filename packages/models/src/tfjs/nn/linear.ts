import { untransposedMatMul } from '../mat-mul';
import { type Tensor, tf } from '../tf';
import type { WeightSet } from './weights';

/** x [..., in] · w [in, out] + b, for any leading shape. */
export function dense(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1] as number]);
    const y = untransposedMatMul(flat, w);
    const out = b ? tf.add(y, b) : y;
    return tf.reshape(out, [...shape.slice(0, -1), w.shape[1] as number]);
  });
}

const recordingGradients = (): boolean => tf.engine().state.gradientDepth > 0;
let dropoutCalls = 0;

/**
 * The linear layer `module` of a weight set: x · `<module>.weight` (+ `<module>.bias` when the set
 * has one), plus the LoRA update scale · dropout(x) · A · B when an adapter is attached to it.
 * Dropout applies only while gradients are recorded (training), never in decoding or in the
 * reference log-probabilities.
 *
 * @example
 * const q = linear(hidden, weights, 'model.layers.0.self_attn.q_proj');
 */
export function linear(x: Tensor, weights: WeightSet, module: string): Tensor {
  return tf.tidy(() => {
    const bias = `${module}.bias`;
    const y = dense(x, weights.get(`${module}.weight`), weights.has(bias) ? weights.get(bias) : undefined);
    const adapter = weights.lora.get(module);
    if (!adapter) return y;
    const input = adapter.dropout > 0 && recordingGradients() ? tf.dropout(x, adapter.dropout, undefined, ++dropoutCalls) : x;
    return tf.add(y, tf.mul(dense(dense(input, adapter.a), adapter.b), adapter.scale));
  });
}
