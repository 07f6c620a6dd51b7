/**
 * Cuts `count` items into at most `shards` contiguous ranges whose sizes differ by at most one,
 * larger ones first; empty ranges are left out (fewer items than shards).
 *
 * @example
 * shardRanges(5, 2); // [[0, 3], [3, 5]]
 */
export function shardRanges(count: number, shards: number): Array<[number, number]> {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, not ${shards}`);
  const ranges: Array<[number, number]> = [];
  const base = Math.floor(count / shards);
  const extra = count % shards;
  let start = 0;
  for (let k = 0; k < shards; k++) {
    const size = base + (k < extra ? 1 : 0);
    if (size === 0) break;
    ranges.push([start, start + size]);
    start += size;
  }
  return ranges;
}
