import { untransposedMatMul } from '../../mat-mul';
import { sigmoidGelu } from '../../nn/activations';
import { type KvCache } from '../../nn/attention';
import { linear } from '../../nn/linear';
import { layerNorm } from '../../nn/norms';
import type { WeightSet } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';

/**
 * One pre-norm block `prefix` of TinyVLM: x + attn(ln(x)), then + mlp(ln(x)), multi-head attention
 * with a fused QKV projection. `bias` is an additive attention mask broadcastable to
 * [B, heads, Tq, Tk]. With `cache`, keys/values of earlier positions are prepended and the updated
 * cache returned (the caller owns and disposes it).
 */
export function transformerBlock(x: Tensor, weights: WeightSet, prefix: string, heads: number, bias: Tensor | null, cache?: KvCache): { y: Tensor; cache: KvCache | undefined } {
  const [batch, steps, width] = x.shape as [number, number, number];
  const headDim = width / heads;
  const g = (name: string) => weights.get(`${prefix}.${name}`);
  let nextCache: KvCache | undefined;
  const y = tf.tidy(() => {
    const h = layerNorm(x, g('ln1.weight'), g('ln1.bias'));
    const qkv = linear(h, weights, `${prefix}.attn.qkv`);
    const split = (t: Tensor): Tensor => tf.transpose(tf.reshape(t, [batch, steps, heads, headDim]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, -1).map(split) as [Tensor, Tensor, Tensor];
    let keys = k;
    let values = v;
    if (cache) {
      keys = tf.concat([cache.k, k], 2);
      values = tf.concat([cache.v, v], 2);
      nextCache = { k: tf.keep(keys), v: tf.keep(values) };
    }
    let scores = tf.div(untransposedMatMul(q, keys, { transposeB: true }), Math.sqrt(headDim));
    if (bias) scores = tf.add(scores, bias);
    const attended = untransposedMatMul(tf.softmax(scores, -1), values);
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, steps, width]);
    const x1 = tf.add(x, linear(merged, weights, `${prefix}.attn.proj`));
    const m = linear(sigmoidGelu(linear(layerNorm(x1, g('ln2.weight'), g('ln2.bias')), weights, `${prefix}.mlp.fc`)), weights, `${prefix}.mlp.out`);
    return tf.add(x1, m);
  });
  return { y, cache: nextCache };
}
