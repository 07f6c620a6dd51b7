import { hashSeed, mulberry32 } from '@iad-r1/cot-schema';

// The project's one seeded generator; re-exported where the sampler and trainers import it.
export { mulberry32 };

/**
 * One uniform stream per generated row: `n` samples of each of `requests` requests, sample j of
 * request i seeded by (the request's seed, j), the request's seed being `seeds[i]` or (seed, i).
 * A row's draws then depend on its own seed alone, not on which other rows share its batch, so
 * requests split across workers (with their `seeds`) sample exactly what one batch would.
 *
 * @example
 * const streams = sampleStreams(2, 4, { seed: 7 }); // 8 streams, request-major
 */
export function sampleStreams(requests: number, n: number, options: { seed?: number; seeds?: readonly number[] }): Array<() => number> {
  if (options.seeds && options.seeds.length !== requests) throw new RangeError(`seeds has ${options.seeds.length} entries for ${requests} requests; give one per request`);
  return Array.from({ length: requests * n }, (_, row) => {
    const i = Math.floor(row / n);
    const requestSeed = options.seeds?.[i] ?? hashSeed(options.seed ?? 0, 'request', i);
    return mulberry32(hashSeed(requestSeed, 'sample', row % n));
  });
}
