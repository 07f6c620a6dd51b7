/**
 * The worst, over rows (positions), of max |actual − expected| / max |expected| in that row: each
 * position's logits are judged against their own scale, so a row of small logits cannot hide
 * behind a row of large ones.
 */
export function maxRelativeError(actual: number[][], expected: number[][]): number {
  let worst = 0;
  expected.forEach((row, t) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((v, i) => (worst = Math.max(worst, Math.abs(((actual[t] as number[])[i] as number) - v) / scale)));
  });
  return worst;
}
