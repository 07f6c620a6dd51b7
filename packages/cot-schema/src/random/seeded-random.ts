// The project's one seeded random source and string hash. Every seeded choice — the synthetic set,
// data orders, 1-shot references, `--limit` picks, sampling — goes through these, so a seed means
// the same thing in every package and on every machine.

/**
 * A seeded uniform [0, 1) generator (mulberry32).
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

/** A seeded random source with the draws the generators need. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Whole number in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
}

/**
 * A seeded random source over {@link mulberry32}.
 *
 * @example
 * const rng = createRandom(hashSeed(42, 'plate', 'train', 3));
 * rng.int(1, 6);
 */
export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, starting from `FNV offset ^ seed`: a stable
 * per-key number for seeded orderings (`--limit` picks, data fractions) that does not depend on
 * the order keys are seen in.
 *
 * @example
 * fnv1a('mvtec::bottle/test/good/000', 3); // the same on every run
 */
export function fnv1a(text: string, seed = 0): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
  return h;
}

/**
 * FNV-1a over parts joined by NUL (by code point), a seed for {@link createRandom}: each item gets
 * its own stream however work is ordered.
 *
 * @example
 * hashSeed(42, 'plate', 'train', 3);
 */
export function hashSeed(...parts: Array<string | number>): number {
  let h = FNV_OFFSET;
  for (const char of parts.join('\u0000')) h = Math.imul(h ^ (char.codePointAt(0) as number), FNV_PRIME) >>> 0;
  return h >>> 0;
}
