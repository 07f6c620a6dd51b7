import { type Tensor, stopGradient, tf } from '@iad-r1/models/tfjs';

/** The loss aggregations `trainGrpo` knows. */
export const LOSS_AGGREGATIONS = ['sequence-mean', 'token-mean', 'dr-grpo'] as const;
/** How per-token losses become one number (docs/METHOD.md §4). */
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];

/**
 * Group-relative advantages: A_i = (r_i − mean(r)) / (std(r) + 1e-4) within each group of
 * `groupSize`, with the unbiased (n − 1) std as in the reference code. `scale: 'none'` drops the
 * std division (Dr.GRPO).
 *
 * @example
 * groupAdvantages([1, 2, 3, 4], 4); // [-1.5, -0.5, 0.5, 1.5] / (√(5/3) + 1e-4)
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, scale: 'std' | 'none' = 'std'): number[] {
  if (rewards.length % groupSize !== 0) throw new RangeError(`${rewards.length} rewards do not split into groups of ${groupSize}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / groupSize;
    const std = groupSize > 1 ? Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / (groupSize - 1)) : 0;
    for (const r of group) out.push(scale === 'std' ? (r - mean) / (std + 1e-4) : r - mean);
  }
  return out;
}

/** Unbiased std of each group (for logging reward spread; 0 means no learning signal). */
export function groupStds(rewards: readonly number[], groupSize: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / group.length;
    out.push(group.length > 1 ? Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / (group.length - 1)) : 0);
  }
  return out;
}

/**
 * The k3 estimator of KL(π_θ ‖ π_ref) per token: exp(ref − logp) − (ref − logp) − 1.
 *
 * @example
 * k3Kl(-1, -1.5); // exp(-0.5) + 0.5 - 1 ≈ 0.10653
 */
export function k3Kl(logProb: number, refLogProb: number): number {
  const d = refLogProb - logProb;
  return Math.exp(d) - d - 1;
}

export interface GrpoObjectiveInput {
  /** [S, T] log-probs of the sampled tokens under the policy being trained (differentiable). */
  logProbs: Tensor;
  /**
   * [S, T] the same under the policy that sampled them (constant). Default: `logProbs` detached —
   * the case of each batch used once (μ = 1), where the two policies are the same.
   */
  oldLogProbs?: Tensor;
  /** [S, T] the same under the frozen reference policy (constant). */
  refLogProbs: Tensor;
  /** [S] one advantage per sequence. */
  advantages: Tensor;
  /** [S, T] 1 on completion tokens. */
  mask: Tensor;
  beta: number;
  epsilon: number;
  aggregation: LossAggregation;
  /** Dr.GRPO's constant length normaliser (the generation budget). */
  maxLength: number;
}

/**
 * The SC-GRPO loss (docs/METHOD.md §4): per token −(min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) − β·KL_t) with
 * ρ = π_θ/π_θold and the k3 KL to the reference, aggregated as the mean over each sequence's
 * completion tokens then over sequences (default), the token mean over the batch, or Dr.GRPO's sum
 * over tokens divided by (sequences × maxLength). Also returns the masked mean KL and the share of
 * tokens whose ratio was clipped.
 */
export function grpoObjective(input: GrpoObjectiveInput): { loss: Tensor; kl: Tensor; clipFraction: Tensor } {
  return tf.tidy(() => {
    const { logProbs, refLogProbs, mask, beta, epsilon } = input;
    const oldLogProbs = input.oldLogProbs ?? stopGradient(logProbs);
    const advantages = tf.expandDims(input.advantages, 1);
    const ratio = tf.exp(tf.sub(logProbs, oldLogProbs));
    const clippedRatio = tf.clipByValue(ratio, 1 - epsilon, 1 + epsilon);
    const objective = tf.minimum(tf.mul(ratio, advantages), tf.mul(clippedRatio, advantages));
    const d = tf.sub(refLogProbs, logProbs);
    const kl = tf.sub(tf.sub(tf.exp(d), d), 1);
    const perToken = tf.mul(tf.neg(tf.sub(objective, tf.mul(kl, beta))), mask);
    const tokens = tf.sum(mask);
    let loss: Tensor;
    if (input.aggregation === 'sequence-mean') {
      loss = tf.mean(tf.div(tf.sum(perToken, 1), tf.maximum(tf.sum(mask, 1), 1)));
    } else if (input.aggregation === 'token-mean') {
      loss = tf.div(tf.sum(perToken), tf.maximum(tokens, 1));
    } else {
      loss = tf.div(tf.sum(perToken), (mask.shape[0] as number) * input.maxLength);
    }
    const outside = tf.cast(tf.logicalOr(tf.less(ratio, 1 - epsilon), tf.greater(ratio, 1 + epsilon)), 'float32');
    return {
      loss,
      kl: tf.div(tf.sum(tf.mul(kl, mask)), tf.maximum(tokens, 1)),
      clipFraction: tf.div(tf.sum(tf.mul(outside, mask)), tf.maximum(tokens, 1)),
    };
  });
}
