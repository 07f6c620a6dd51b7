import { tf } from '@iad-r1/models/tfjs';
import { describe, expect, it } from 'vitest';
import { groupAdvantages, groupStds, grpoObjective, k3Kl } from '../src/index';

describe('group advantages (docs/METHOD.md §4)', () => {
  it('normalises within each group with the unbiased std + 1e-4', () => {
    // Group [1, 2, 3, 4]: mean 2.5, unbiased std √((2.25+0.25+0.25+2.25)/3) = √(5/3).
    const std = Math.sqrt(5 / 3);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((d) => d / (std + 1e-4));
    groupAdvantages([1, 2, 3, 4, 0, 0, 0, 0], 4).forEach((a, i) => expect(a).toBeCloseTo(i < 4 ? (expected[i] as number) : 0, 12));
    expect(groupAdvantages([2, 4], 2, 'none')).toEqual([-1, 1]);
    expect(groupStds([1, 2, 3, 4], 4)[0]).toBeCloseTo(std, 12);
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/groups of 2/);
  });
});

describe('k3 KL', () => {
  it('is exp(ref − logp) − (ref − logp) − 1, zero when the policies agree', () => {
    expect(k3Kl(-1, -1.5)).toBeCloseTo(Math.exp(-0.5) + 0.5 - 1, 12);
    expect(k3Kl(-2, -1)).toBeCloseTo(Math.exp(1) - 1 - 1, 12);
    expect(k3Kl(-0.7, -0.7)).toBe(0);
  });
});

describe('grpoObjective', () => {
  const run = (values: { logp: number[][]; old: number[][]; ref: number[][]; adv: number[]; mask: number[][] }, aggregation: 'sequence-mean' | 'token-mean' | 'dr-grpo', beta = 0) =>
    tf.tidy(() => {
      const out = grpoObjective({
        logProbs: tf.tensor2d(values.logp),
        oldLogProbs: tf.tensor2d(values.old),
        refLogProbs: tf.tensor2d(values.ref),
        advantages: tf.tensor1d(values.adv),
        mask: tf.tensor2d(values.mask),
        beta,
        epsilon: 0.2,
        aggregation,
        maxLength: 4,
      });
      return { loss: out.loss.dataSync()[0] as number, kl: out.kl.dataSync()[0] as number, clip: out.clipFraction.dataSync()[0] as number };
    });

  it('clips the ratio the PPO way: min(ρA, clip(ρ)A)', () => {
    const lnr = Math.log(1.5); // ρ = 1.5
    // A = +1: min(1.5, 1.2) = 1.2 → loss −1.2. A = −1: min(−1.5, −1.2) = −1.5 → loss 1.5.
    expect(run({ logp: [[lnr]], old: [[0]], ref: [[lnr]], adv: [1], mask: [[1]] }, 'token-mean').loss).toBeCloseTo(-1.2, 6);
    expect(run({ logp: [[lnr]], old: [[0]], ref: [[lnr]], adv: [-1], mask: [[1]] }, 'token-mean').loss).toBeCloseTo(1.5, 6);
    // Inside the band nothing is clipped: ρ = 1.1, A = 2 → loss −2.2.
    const inside = run({ logp: [[Math.log(1.1)]], old: [[0]], ref: [[Math.log(1.1)]], adv: [2], mask: [[1]] }, 'token-mean');
    expect(inside.loss).toBeCloseTo(-2.2, 6);
    expect(inside.clip).toBe(0);
    expect(run({ logp: [[lnr]], old: [[0]], ref: [[lnr]], adv: [1], mask: [[1]] }, 'token-mean').clip).toBe(1);
  });

  it('adds β·KL per token (k3 against the reference)', () => {
    // ρ = 1 (logp = old), A = 0: loss = β·KL = 0.04·k3(-1, -1.5).
    const out = run({ logp: [[-1]], old: [[-1]], ref: [[-1.5]], adv: [0], mask: [[1]] }, 'token-mean', 0.04);
    expect(out.loss).toBeCloseTo(0.04 * k3Kl(-1, -1.5), 6);
    expect(out.kl).toBeCloseTo(k3Kl(-1, -1.5), 6);
  });

  it('aggregates per sequence then over sequences, over all tokens, or Dr.GRPO style', () => {
    // ρ = 1, β = 0: each token's loss is −A. Sequence 1: 1 token, A = 1. Sequence 2: 3 tokens, A = −1.
    const values = { logp: [[0, 0, 0], [0, 0, 0]], old: [[0, 0, 0], [0, 0, 0]], ref: [[0, 0, 0], [0, 0, 0]], adv: [1, -1], mask: [[1, 0, 0], [1, 1, 1]] };
    expect(run(values, 'sequence-mean').loss).toBeCloseTo((-1 + 1) / 2, 6); // means −1 and +1
    expect(run(values, 'token-mean').loss).toBeCloseTo((-1 + 3) / 4, 6); // (−1 + 1 + 1 + 1) / 4
    expect(run(values, 'dr-grpo').loss).toBeCloseTo((-1 + 3) / (2 * 4), 6); // sum / (sequences × maxLength)
  });

  it('gives the policy-gradient direction: more probability for positive advantage', () => {
    const logits = tf.variable(tf.tensor2d([[0.0, 0.0]]));
    const grad = tf.tidy(() => {
      const g = tf.grad((x: tf.Tensor) => {
        const lp = tf.slice(tf.logSoftmax(x), [0, 0], [1, 1]);
        // At equal logits the sampled token has log-prob log ½ under the old and reference policies.
        const constant = tf.tensor2d([[Math.log(0.5)]]);
        return grpoObjective({ logProbs: lp, oldLogProbs: constant, refLogProbs: constant, advantages: tf.tensor1d([1]), mask: tf.ones([1, 1]), beta: 0.04, epsilon: 0.2, aggregation: 'sequence-mean', maxLength: 1 }).loss;
      })(logits);
      return g.arraySync() as number[][];
    });
    // Descending the loss raises logit 0 (the sampled token) and lowers logit 1.
    expect(grad[0]?.[0]).toBeLessThan(0);
    expect(grad[0]?.[1]).toBeGreaterThan(0);
    logits.dispose();
  });
});
