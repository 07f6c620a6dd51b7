/** How the next token is drawn: temperature (0 = greedy), then top-k, then top-p. */
export interface SamplingOptions {
  temperature: number;
  topK?: number;
  topP?: number;
}

/**
 * Draws a token id from one row of logits. Greedy at temperature 0 (the first maximum); otherwise
 * the candidates are ordered by logit (ties by id), cut to top-k, softmaxed at the temperature,
 * cut to the smallest prefix holding top-p of the mass, and one is drawn with `random()`.
 *
 * @example
 * sampleToken(logits, { temperature: 1, topP: 0.9 }, mulberry32(0));
 */
export function sampleToken(logits: Float32Array, options: SamplingOptions, random: () => number): number {
  if (options.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    return best;
  }
  let order = Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
  if (options.topK && options.topK > 0) order = order.slice(0, options.topK);
  const max = logits[order[0] as number] as number;
  let probs = order.map((i) => Math.exp(((logits[i] as number) - max) / options.temperature));
  const total = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / total);
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < probs.length && cumulative < options.topP) cumulative += probs[keep++] as number;
    order = order.slice(0, keep);
    probs = probs.slice(0, keep).map((p) => p / cumulative);
  }
  let r = random();
  for (let i = 0; i < order.length; i++) {
    r -= probs[i] as number;
    if (r <= 0) return order[i] as number;
  }
  return order[order.length - 1] as number;
}

/**
 * The model's log-probability of `token` under the raw logits (temperature 1, no top-k or top-p):
 * π(token), the quantity GRPO's ratio and KL are computed from. Summed in float64.
 *
 * @example
 * tokenLogProb(new Float32Array([0, 0]), 1); // −ln 2
 */
export function tokenLogProb(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return (logits[token] as number) - max - Math.log(sum);
}
