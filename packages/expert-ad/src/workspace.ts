import { join } from 'node:path';
import { DatasetError, hashSeed, readJsonlFile } from '@iad-r1/datasets';
import { type DescriptionRecord, type PairRecord, type ReviewDecision, type ThoughtRecord, descriptionRecordSchema, pairRecordSchema, reviewDecisionSchema, thoughtRecordSchema } from './records';

/** Files of a pipeline output folder, step by step. */
export const WORKSPACE_FILES = {
  prepareConfig: 'prepare.json',
  pairs: 'pairs.jsonl',
  highlights: 'highlights',
  descriptions: 'descriptions.jsonl',
  thoughts: 'thoughts.jsonl',
  reviews: 'reviews.jsonl',
  expertAd: 'expert-ad.jsonl',
  paSft: 'pa-sft.json',
  paSftOneShot: 'pa-sft-1shot.json',
  scGrpo: 'sc-grpo.json',
  scGrpoOneShot: 'sc-grpo-1shot.json',
  datasetInfo: 'dataset_info.json',
  split: 'split.json',
  stats: 'stats.json',
} as const;

/** Everything the steps have written so far in an output folder, first line per id kept. */
export interface WorkspaceState {
  pairs: PairRecord[];
  descriptions: Map<string, DescriptionRecord>;
  thoughts: Map<string, ThoughtRecord>;
  /** Latest decision per id. */
  reviews: Map<string, ReviewDecision>;
}

const firstById = <T extends { id: string }>(records: readonly T[]): Map<string, T> => {
  const map = new Map<string, T>();
  for (const r of records) if (!map.has(r.id)) map.set(r.id, r);
  return map;
};

/** The prepared pairs; an error that says to run `prepare` when there are none. */
export async function readPairs(out: string): Promise<PairRecord[]> {
  const pairs = await readJsonlFile(join(out, WORKSPACE_FILES.pairs), pairRecordSchema);
  if (pairs.length === 0) throw new DatasetError(join(out, WORKSPACE_FILES.pairs), 'no pairs; run the prepare step first');
  return pairs;
}

/**
 * Reads an output folder's step files (pairs, descriptions, thoughts, review decisions).
 *
 * @example
 * const state = await readWorkspace('out/expert-ad');
 * state.thoughts.size; // records the think step has finished
 */
export async function readWorkspace(out: string, log?: (line: string) => void): Promise<WorkspaceState> {
  const reviews = new Map<string, ReviewDecision>();
  for (const decision of await readJsonlFile(join(out, WORKSPACE_FILES.reviews), reviewDecisionSchema, log)) reviews.set(decision.id, decision);
  return {
    pairs: await readPairs(out),
    descriptions: firstById(await readJsonlFile(join(out, WORKSPACE_FILES.descriptions), descriptionRecordSchema, log)),
    thoughts: firstById(await readJsonlFile(join(out, WORKSPACE_FILES.thoughts), thoughtRecordSchema, log)),
    reviews,
  };
}

/** File name for an id that may hold slashes: `plate/test/scratch/000` → `plate__test__scratch__000-<hash>` (the hash keeps distinct ids apart). */
export function fileNameOf(id: string): string {
  return `${id.replace(/[\\/]+/g, '__').replace(/[^\w.-]/g, '_')}-${hashSeed(id).toString(36)}`;
}
