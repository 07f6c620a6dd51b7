import difflib from 'difflib';

/**
 * Python difflib's `SequenceMatcher(None, a, b).ratio()` (Ratcliff–Obershelp, with the default
 * autojunk heuristic for sequences of 200+ items). Strings are compared by code point, as Python
 * does, so characters outside the BMP count once.
 *
 * @example
 * sequenceSimilarity('scrach', 'scratch'); // 0.923076…
 */
export function sequenceSimilarity(a: string, b: string): number {
  return new difflib.SequenceMatcher(null, [...a], [...b]).ratio();
}
