import { join } from 'node:path';
import {
  type ExpertAdRecord,
  type PaSftRecord,
  type ScGrpoRecord,
  type TypeLevel,
  expertAdToPaSft,
  expertAdToScGrpo,
  llamaFactoryDatasetEntry,
  paSftRecordSchema,
  scGrpoRecordSchema,
  toJsonl,
} from '@iad-r1/cot-schema';
import { writeFileAtomic } from '@iad-r1/datasets';
import { PAPER_PA_SFT_SHARE, splitForStages } from './split-for-stages';
import { expertAdRecordFromPair } from './think-output';
import { WORKSPACE_FILES, readWorkspace } from './workspace';

/** Options of {@link integrate}. */
export interface IntegrateOptions {
  /** The pipeline's output folder. */
  out: string;
  /** Accept every valid record that has no review decision (the review step skipped). Default false. */
  autoAccept?: boolean;
  /** Share of the records for the PA-SFT set, the rest for SC-GRPO; default {@link PAPER_PA_SFT_SHARE}. */
  paSftShare?: number;
  /** Seed of the split; default 0. */
  seed?: number;
  /** `<type>` text in the exports: the coarse type (default) or the fine-grained one. */
  typeLevel?: TypeLevel;
  log?: (line: string) => void;
}

/** Counts `stats.json` holds. */
export interface ExpertAdStats {
  /** Records in `expert-ad.jsonl`. */
  records: number;
  split: { paSft: number; scGrpo: number };
  byLabel: { normal: number; anomalous: number };
  byCategory: Record<string, { normal: number; anomalous: number }>;
  byType: Record<string, number>;
  /** Anomalous records per location text (the cell of the defect's main blob). */
  byLocation: Record<string, number>;
  review: { accepted: number; edited: number; autoAccepted: number; rejected: number; pending: number };
  /** Pairs the think step flagged, and pairs not yet through describe/think. */
  flagged: number;
  unfinished: number;
}

/** What {@link integrate} assembled. */
export interface IntegrateResult {
  records: ExpertAdRecord[];
  paSft: ExpertAdRecord[];
  scGrpo: ExpertAdRecord[];
  stats: ExpertAdStats;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Step 5 (integrate): assembles the accepted and edited records (and, with `autoAccept`, the
 * unreviewed ones) into canonical Expert-AD records, splits them seeded and stratified by label
 * into the PA-SFT and SC-GRPO sets, and writes `expert-ad.jsonl`, `pa-sft.json` and
 * `pa-sft-1shot.json` (LLaMA-Factory sharegpt), `sc-grpo.json` and `sc-grpo-1shot.json`
 * (`{id, image, problem, solution}`), `dataset_info.json`, `split.json` and `stats.json`. Every
 * exported record is validated with `cot-schema`. Re-running rewrites them from the decisions.
 *
 * @example
 * const { stats } = await integrate({ out: 'out/expert-ad', autoAccept: true });
 * stats.split; // { paSft: …, scGrpo: … }
 */
export async function integrate(options: IntegrateOptions): Promise<IntegrateResult> {
  const { out } = options;
  const share = options.paSftShare ?? PAPER_PA_SFT_SHARE;
  const seed = options.seed ?? 0;
  const typeLevel = options.typeLevel ?? 'coarse';
  const state = await readWorkspace(out, options.log);
  const review = { accepted: 0, edited: 0, autoAccepted: 0, rejected: 0, pending: 0 };
  let flagged = 0;
  let unfinished = 0;
  const records: ExpertAdRecord[] = [];
  for (const pair of state.pairs) {
    const thought = state.thoughts.get(pair.id);
    if (!thought) {
      unfinished++;
      continue;
    }
    if (!thought.ok) {
      flagged++;
      continue;
    }
    const decision = state.reviews.get(pair.id);
    if (decision?.status === 'rejected') {
      review.rejected++;
      continue;
    }
    if (!decision && !options.autoAccept) {
      review.pending++;
      continue;
    }
    if (decision) review[decision.status]++;
    else review.autoAccepted++;
    const status = decision ? { status: decision.status, reviewedAt: decision.reviewedAt, ...(decision.note ? { note: decision.note } : {}) } : { status: 'accepted' as const, note: 'auto-accepted' };
    const edits = decision?.status === 'edited' ? decision : {};
    records.push(expertAdRecordFromPair(pair, thought, status, edits));
  }

  const { paSft, scGrpo } = splitForStages(records, { paSftShare: share, seed });

  const toPaSft = (shots: 0 | 1): PaSftRecord[] => paSft.map((r) => paSftRecordSchema.parse(expertAdToPaSft(r, { shots, typeLevel })));
  const toScGrpo = (shots: 0 | 1): ScGrpoRecord[] => scGrpo.map((r) => scGrpoRecordSchema.parse(expertAdToScGrpo(r, { shots, typeLevel })));

  const stats: ExpertAdStats = {
    records: records.length,
    split: { paSft: paSft.length, scGrpo: scGrpo.length },
    byLabel: { normal: 0, anomalous: 0 },
    byCategory: {},
    byType: {},
    byLocation: {},
    review,
    flagged,
    unfinished,
  };
  for (const r of records) {
    stats.byLabel[r.label]++;
    const category = (stats.byCategory[r.source.category] ??= { normal: 0, anomalous: 0 });
    category[r.label]++;
    if (r.coarseType) stats.byType[r.coarseType] = (stats.byType[r.coarseType] ?? 0) + 1;
    if (r.location) stats.byLocation[r.location.text] = (stats.byLocation[r.location.text] ?? 0) + 1;
  }

  const F = WORKSPACE_FILES;
  await writeFileAtomic(join(out, F.expertAd), toJsonl(records));
  await writeFileAtomic(join(out, F.paSft), json(toPaSft(0)));
  await writeFileAtomic(join(out, F.paSftOneShot), json(toPaSft(1)));
  await writeFileAtomic(join(out, F.scGrpo), json(toScGrpo(0)));
  await writeFileAtomic(join(out, F.scGrpoOneShot), json(toScGrpo(1)));
  await writeFileAtomic(join(out, F.datasetInfo), json({ iad_r1_pa_sft: llamaFactoryDatasetEntry(F.paSft), iad_r1_pa_sft_1shot: llamaFactoryDatasetEntry(F.paSftOneShot) }));
  await writeFileAtomic(join(out, F.split), json({ seed, paSftShare: share, paSft: paSft.map((r) => r.id), scGrpo: scGrpo.map((r) => r.id) }));
  await writeFileAtomic(join(out, F.stats), json(stats));
  return { records, paSft, scGrpo, stats };
}
