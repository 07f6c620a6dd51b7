import { ANOMALY_TAXONOMY, type AnomalyGroup, type CoarseType, GROUP_PHRASES } from '@iad-r1/cot-schema';
import { PYTHON_WHITESPACE, pythonLength, pythonStrip } from './python-text';
import { sequenceSimilarity, similarityTo } from './similarity';

const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'gu');
// Python's `[^\w\s-]` on str: \w is letters, digits/numerics and underscore in any script.
const NOT_WORD_SPACE_HYPHEN = new RegExp(`[^\\p{L}\\p{N}_${PYTHON_WHITESPACE}-]`, 'gu');

/**
 * Step 2 of the type reward: lower-case, trim, collapse whitespace runs to one space, then delete
 * every character that is not a word character, whitespace or `-` (no trim after that deletion).
 *
 * @example
 * normaliseTypeText('  Hole ! '); // 'hole '
 */
export function normaliseTypeText(text: string): string {
  return pythonStrip(text.toLowerCase()).replace(WHITESPACE_RUN, ' ').replace(NOT_WORD_SPACE_HYPHEN, '');
}

interface Keyword {
  text: string;
  length: number;
  category: CoarseType;
  group: AnomalyGroup;
  similarity: (a: string) => number;
}

// Category name then its synonyms, category by category: the scan order decides ties.
const KEYWORDS: readonly Keyword[] = ANOMALY_TAXONOMY.flatMap((category) =>
  [category.name, ...category.synonyms].map((word) => {
    const text = normaliseTypeText(word);
    return { text, length: pythonLength(text), category: category.name, group: category.group, similarity: similarityTo(text) };
  }),
);
const KEYWORD_BY_TEXT = new Map(KEYWORDS.map((k) => [k.text, k]));

/** The category a type text is matched to, with the confidence of the match. */
export interface CategoryMatch {
  category: CoarseType;
  group: AnomalyGroup;
  confidence: number;
}

/**
 * Step 4 of the type reward, on an already normalised text: an exact keyword (confidence 1); else
 * the first keyword with the strictly highest containment score len(shorter)/len(longer); else the
 * first keyword with the strictly highest similarity ≥ 0.7; else undefined.
 *
 * @example
 * matchAnomalyCategory('wear marks'); // { category: 'Abrasion', group: 'Structural anomalies', confidence: 0.9 }
 */
export function matchAnomalyCategory(normalised: string): CategoryMatch | undefined {
  // Type texts repeat a lot within a training run; the scan below is the costly part of R_t.
  if (MATCH_CACHE.has(normalised)) return MATCH_CACHE.get(normalised);
  const match = scanKeywords(normalised);
  if (MATCH_CACHE.size >= MATCH_CACHE_LIMIT) MATCH_CACHE.clear();
  MATCH_CACHE.set(normalised, match);
  return match;
}

const MATCH_CACHE_LIMIT = 10_000;
const MATCH_CACHE = new Map<string, CategoryMatch | undefined>();

// The similarity the type reward accepts as a match.
const SIMILAR = 0.7;

// difflib's ratio is 2·M / (|a| + |b|) with M ≤ min(|a|, |b|), so this bounds it from above (its
// real_quick_ratio). Skipping pairs whose bound is under the threshold changes no reward, and keeps
// a long type text from costing seconds: the matching itself grows with the product of the lengths.
function similarityBound(lengthA: number, lengthB: number): number {
  return lengthA + lengthB === 0 ? 1 : (2 * Math.min(lengthA, lengthB)) / (lengthA + lengthB);
}

function scanKeywords(normalised: string): CategoryMatch | undefined {
  const exact = KEYWORD_BY_TEXT.get(normalised);
  if (exact) return { category: exact.category, group: exact.group, confidence: 1 };

  const length = pythonLength(normalised);
  let best: Keyword | undefined;
  let bestScore = 0;
  for (const keyword of KEYWORDS) {
    if (keyword.text.includes(normalised) || normalised.includes(keyword.text)) {
      const score = Math.min(length, keyword.length) / Math.max(length, keyword.length);
      if (score > bestScore) {
        best = keyword;
        bestScore = score;
      }
    }
  }
  if (best) return { category: best.category, group: best.group, confidence: bestScore };

  bestScore = 0;
  for (const keyword of KEYWORDS) {
    if (similarityBound(length, keyword.length) < SIMILAR) continue;
    const similarity = keyword.similarity(normalised);
    if (similarity >= SIMILAR && similarity > bestScore) {
      best = keyword;
      bestScore = similarity;
    }
  }
  return best ? { category: best.category, group: best.group, confidence: bestScore } : undefined;
}

function weakSimilarity(a: string, b: string): number {
  if (similarityBound(pythonLength(a), pythonLength(b)) < SIMILAR) return 0;
  const similarity = sequenceSimilarity(a, b);
  return similarity >= SIMILAR ? similarity * 0.4 : 0;
}

/**
 * R_t ∈ [0, 1]: multi-level matching of a predicted defect type against the ground truth, over the
 * 8-type, 2-group vocabulary — the reference algorithm of docs/METHOD.md §3, step by step.
 *
 * @example
 * typeReward('scratches', 'scratch'); // 0.85
 * typeReward('wear marks', 'abrasion'); // 0.825
 * typeReward('surface anomaly', 'hole'); // 0
 */
export function typeReward(predicted: string, groundTruth: string): number {
  // 1. Either text empty before normalisation.
  if (predicted === '' || groundTruth === '') return 0;
  // 2. Normalise.
  const p = normaliseTypeText(predicted);
  const t = normaliseTypeText(groundTruth);
  // 3. Group names.
  const pNamesGroup = GROUP_PHRASES[p];
  const tNamesGroup = GROUP_PHRASES[t];
  // 4. Best category matches.
  const pMatch = matchAnomalyCategory(p);
  const tMatch = matchAnomalyCategory(t);
  // 5. Groups.
  const pGroup = pNamesGroup ?? pMatch?.group;
  const tGroup = tNamesGroup ?? tMatch?.group;
  if (pGroup && tGroup && pGroup !== tGroup) return 0;
  // 6. One side names the other side's group.
  if (pNamesGroup && !tNamesGroup && tGroup === pNamesGroup) return 0.3;
  if (tNamesGroup && !pNamesGroup && pGroup === tNamesGroup) return 0.3;
  // 7. Equal.
  if (p === t) return 1.0;
  // 8. Containment (an empty text is contained in anything).
  if (p.includes(t) || t.includes(p)) return 0.85;
  // 9. A side without category.
  if (!pMatch || !tMatch) return weakSimilarity(p, t);
  // 10. Same category.
  if (pMatch.category === tMatch.category) return 0.6 + 0.25 * Math.min(pMatch.confidence, tMatch.confidence);
  // 11. Same group.
  if (pGroup === tGroup) return 0.3;
  // 12. Textual similarity only.
  return weakSimilarity(p, t);
}
