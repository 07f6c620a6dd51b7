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

/**
 * A similarity function with a fixed second string. difflib indexes its second sequence once, so
 * comparing many texts against one keyword this way skips rebuilding that index on every call.
 *
 * @example
 * const toScratch = similarityTo('scratch');
 * toScratch('scrach'); // same as sequenceSimilarity('scrach', 'scratch')
 */
export function similarityTo(b: string): (a: string) => number {
  const matcher = new difflib.SequenceMatcher(null, [], [...b]);
  return (a: string) => {
    matcher.setSeq1([...a]);
    return matcher.ratio();
  };
}
