/** McNemar's test of two models on the same images. */
export interface McNemarResult {
  /** Images both answered. */
  pairs: number;
  /** Right for the first model, wrong for the second. */
  onlyFirst: number;
  /** Wrong for the first model, right for the second. */
  onlySecond: number;
  /** Two-sided exact p-value. */
  p: number;
}

/**
 * Two-sided exact McNemar p-value from the discordant counts: under "both models are equally
 * good", each of the n = b + c discordant images goes either way with probability ½, so
 * p = min(1, 2 · P[Binomial(n, ½) ≤ min(b, c)]). Exact at every n — the χ² form only approximates
 * it — and summed in log space, so large counts do not underflow.
 *
 * @example
 * mcnemarExactP(1, 6); // 0.125 = 2 · (1 + 7) / 2⁷
 * mcnemarExactP(0, 0); // 1
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log C(n, i) by the ratio C(n, i+1) = C(n, i)·(n−i)/(i+1); terms combined by log-sum-exp.
  let logTerm = 0;
  const logs = [0];
  for (let i = 0; i < k; i++) {
    logTerm += Math.log(n - i) - Math.log(i + 1);
    logs.push(logTerm);
  }
  const top = logs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const logTail = top + Math.log(logs.reduce((sum, l) => sum + Math.exp(l - top), 0)) - n * Math.LN2;
  return Math.min(1, 2 * Math.exp(logTail));
}

/**
 * McNemar's test on the images two runs share, by key: a key in one run only is not a pair.
 *
 * @example
 * mcnemar(baseAnswers, trainedAnswers).p;
 */
export function mcnemar(first: ReadonlyArray<{ key: string; correct: boolean }>, second: ReadonlyArray<{ key: string; correct: boolean }>): McNemarResult {
  const firstByKey = new Map(first.map((a) => [a.key, a.correct]));
  let pairs = 0;
  let onlyFirst = 0;
  let onlySecond = 0;
  for (const { key, correct } of second) {
    const other = firstByKey.get(key);
    if (other === undefined) continue;
    pairs++;
    if (other && !correct) onlyFirst++;
    if (!other && correct) onlySecond++;
  }
  return { pairs, onlyFirst, onlySecond, p: mcnemarExactP(onlyFirst, onlySecond) };
}
