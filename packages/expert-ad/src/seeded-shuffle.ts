import { createRandom, hashSeed } from '@iad-r1/datasets';

/** A copy of `items` in a Fisher–Yates order drawn from a stream named by the seed and `key` parts. */
export function seededShuffle<T>(items: readonly T[], seed: number, ...key: Array<string | number>): T[] {
  const rng = createRandom(hashSeed(seed, ...key));
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
