import { untransposedMatMul } from '../mat-mul';
import { type Tensor, tf } from '../tf';

/** A layer's keys and values so far, [B, kvHeads, T, headDim] each. */
export interface KvCache {
  k: Tensor;
  v: Tensor;
}

/**
 * Scaled dot-product attention with grouped key/value heads: queries q [B, H, Tq, D], keys and
 * values k, v [B, KV, Tk, D] with H a multiple of KV (query head h reads key head ⌊h / (H/KV)⌋),
 * an additive mask `bias` [B, 1, Tq, Tk] (0 = attend, a large negative number = not), the scores
 * scaled by `scale`. Returns [B, Tq, H·D]. The query heads of one key head are stacked along the
 * query axis, so keys and values are never copied per query head.
 *
 * @example
 * const attended = groupedQueryAttention(q, k, v, causalBias, 1 / Math.sqrt(headDim));
 */
export function groupedQueryAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | null, scale: number): Tensor {
  return tf.tidy(() => {
    const [batch, heads, steps, headDim] = q.shape as [number, number, number, number];
    const kvHeads = k.shape[1] as number;
    const keysSeen = k.shape[2] as number;
    if (heads % kvHeads !== 0) throw new RangeError(`${heads} query heads do not share ${kvHeads} key/value heads evenly`);
    const group = heads / kvHeads;
    const queries = group === 1 ? q : tf.reshape(q, [batch, kvHeads, group * steps, headDim]);
    let scores = tf.mul(untransposedMatMul(queries, k, { transposeB: true }), scale);
    if (bias) {
      const full = tf.broadcastTo(bias, [batch, 1, steps, keysSeen]);
      scores = tf.add(scores, group === 1 ? full : tf.reshape(tf.tile(tf.expandDims(full, 2), [1, 1, group, 1, 1]), [batch, 1, group * steps, keysSeen]));
    }
    const attended = tf.reshape(untransposedMatMul(tf.softmax(scores, -1), v), [batch, heads, steps, headDim]);
    return tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, steps, heads * headDim]);
  });
}

/**
 * Appends new keys and values [B, kvHeads, T, D] to a cache along the time axis (or starts one).
 * The result is kept out of enclosing `tidy` scopes: its owner disposes it.
 */
export function extendCache(cache: KvCache | undefined, k: Tensor, v: Tensor): KvCache {
  if (!cache) return { k: tf.keep(k), v: tf.keep(v) };
  return { k: tf.keep(tf.concat([cache.k, k], 2)), v: tf.keep(tf.concat([cache.v, v], 2)) };
}

/** A layer's cache slot while decoding: the keys and values so far (none before the prompt). */
export interface CacheSlot {
  past: KvCache | undefined;
}

/** Additive mask value for positions that must not be attended. */
export const MASKED = -1e9;

/**
 * Causal and padding mask [B, 1, T, T] for a right- or left-padded batch: position t attends to
 * positions ≤ t whose `valid` entry ([B, T], 1 = real token) is 1.
 */
export function causalPaddingBias(valid: Tensor, steps: number): Tensor {
  return tf.tidy(() => {
    const causal = tf.linalg.bandPart(tf.ones([steps, steps]), -1, 0);
    const keys = tf.expandDims(tf.expandDims(valid, 1), 1);
    return tf.mul(tf.sub(1, tf.mul(causal, keys)), MASKED);
  });
}
