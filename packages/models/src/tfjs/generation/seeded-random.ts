/**
 * A seeded uniform [0, 1) generator (mulberry32): sampling, data order and dropout masks use it,
 * so a run repeats exactly from its seed.
 *
 * @example
 * const random = mulberry32(7);
 * random(); // the same number on every machine
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
