import { describe, expect, it } from 'vitest';
import { createRandom, fnv1a, hashSeed, mulberry32 } from './seeded-random';

describe('the seeded random source', () => {
  it('gives mulberry32 as an independent Python implementation computes it', () => {
    // Values from a plain Python transcription of mulberry32 (32-bit masks for Math.imul).
    const zero = mulberry32(0);
    expect([zero(), zero(), zero()]).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
    const seven = createRandom(7);
    expect([seven.next(), seven.next(), seven.next()]).toEqual([0.011704753153026104, 0.06195825757458806, 0.97690763277933]);
  });

  it('hashes with 32-bit FNV-1a (the published test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    // hashSeed joins its parts with NUL and hashes code points: for BMP text it is fnv1a of the join.
    expect(hashSeed(3, 'mvtec', 'bottle/000')).toBe(fnv1a('3\u0000mvtec\u0000bottle/000'));
    // A seed changes the starting basis, so each seed orders keys differently.
    expect(fnv1a('key', 1)).not.toBe(fnv1a('key', 2));
  });
});
