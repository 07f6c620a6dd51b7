/** `part` as a percentage of `whole`; 0 when there is nothing to count (as MMAD's scorer does). */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}
