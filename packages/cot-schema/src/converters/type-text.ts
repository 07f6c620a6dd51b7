import type { ExpertAdRecord } from '../records/expert-ad-record';
import { ANOMALY_TAXONOMY, type CoarseType } from '../taxonomy/anomaly-taxonomy';

/** Which type label goes in `<type>`: the 8 coarse types, or the fine-grained text when present. */
export type TypeLevel = 'coarse' | 'fine';

/**
 * The `<type>` text of an anomalous record: the fine type (when `level` is `fine` and the record
 * has one), else the coarse type in lower case ("scratch", "presence of foreign objects").
 *
 * @example
 * typeText({ coarseType: 'Scratch', fineType: 'linear scratch', … }, 'fine'); // 'linear scratch'
 */
export function typeText(record: Pick<ExpertAdRecord, 'coarseType' | 'fineType'>, level: TypeLevel = 'coarse'): string | undefined {
  if (level === 'fine' && record.fineType) return record.fineType;
  return record.coarseType?.toLowerCase();
}

/**
 * The coarse type a type text names exactly: a category name or one of its synonyms,
 * case-insensitive. Returns undefined for anything else (use the type reward for fuzzy matching).
 *
 * @example
 * coarseTypeOfText('Linear Scratch'); // 'Scratch'
 */
export function coarseTypeOfText(text: string): CoarseType | undefined {
  const key = text.trim().toLowerCase();
  for (const category of ANOMALY_TAXONOMY) {
    if (category.name.toLowerCase() === key || category.synonyms.includes(key)) return category.name;
  }
  return undefined;
}
