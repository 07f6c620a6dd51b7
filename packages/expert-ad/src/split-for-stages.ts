import type { ExpertAdRecord } from '@iad-r1/cot-schema';
import { seededShuffle } from './seeded-shuffle';

/** The paper's split: ~2.9K records for PA-SFT, ~3K for SC-GRPO. */
export const PAPER_PA_SFT_SHARE = 2.9 / 5.9;

/** Options of {@link splitForStages}. */
export interface SplitForStagesOptions {
  /** Share of the records for the PA-SFT set, the rest for SC-GRPO; default {@link PAPER_PA_SFT_SHARE}. */
  paSftShare?: number;
  /** Seed of the split; default 0. */
  seed?: number;
}

/** The two training sets of the paper, each in the order the records came in. */
export interface StageSplit<R> {
  paSft: R[];
  scGrpo: R[];
}

/**
 * Splits Expert-AD records into the PA-SFT set and the SC-GRPO set, as the paper does (two
 * disjoint sets, so SC-GRPO samples answers on images PA-SFT never fitted). Seeded, and stratified
 * by label: each label is shuffled on its own and cut at the share (rounded), so both sets keep the
 * normal / anomalous balance. Each set keeps the input order.
 *
 * @example
 * const { paSft, scGrpo } = splitForStages(records, { seed: 0 });
 * // paSft.length ≈ 0.49 × records.length, no record in both
 */
export function splitForStages<R extends Pick<ExpertAdRecord, 'label'>>(records: readonly R[], options: SplitForStagesOptions = {}): StageSplit<R> {
  const share = options.paSftShare ?? PAPER_PA_SFT_SHARE;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`paSftShare must be between 0 and 1, got ${share}`);
  const seed = options.seed ?? 0;
  const toPaSft = new Set<R>();
  for (const label of ['anomalous', 'normal'] as const) {
    const group = seededShuffle(records.filter((r) => r.label === label), seed, 'split', label);
    for (const record of group.slice(0, Math.round(group.length * share))) toPaSft.add(record);
  }
  return { paSft: records.filter((r) => toPaSft.has(r)), scGrpo: records.filter((r) => !toPaSft.has(r)) };
}
