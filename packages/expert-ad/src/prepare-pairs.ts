import type { CoarseType } from '@iad-r1/cot-schema';
import { type AnomalyDataset, type AnomalySample, DatasetError, createRandom, hashSeed, coarseTypeOfDefect, loadMask } from '@iad-r1/datasets';
import { maskToCells } from '@iad-r1/grid';
import { UnknownDefectError } from './defect-type';
import { type PairRecord, pairRecordSchema } from './records';
import { seededShuffle } from './seeded-shuffle';

/** Options of {@link preparePairs}. */
export interface PreparePairsOptions {
  /** Seed for which images are paired; default 0. */
  seed?: number;
  /** Side of the location grid; default 3 (the paper's 3×3). */
  gridSize?: number;
  /** At most this many anomalous and as many normal queries per category; default: as many as balance allows. */
  perCategory?: number;
  /** Defect name → coarse type, for names the built-in rules do not know. */
  typeMap?: Readonly<Record<string, CoarseType>>;
  /** Called for each anomalous image passed over (no mask, empty mask). */
  onSkip?: (item: { id: string; reason: string }) => void;
  /** Called after each category with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reference for a query: a normal image of the same category and camera view, from another
 * physical sample when the dataset says which sample an image shows, never the query itself.
 */
function chooseReference(query: AnomalySample, pool: readonly AnomalySample[], seed: number): AnomalySample | undefined {
  const others = pool.filter((r) => r.imagePath !== query.imagePath);
  const sameView = query.view === undefined ? others : others.filter((r) => r.view === query.view);
  const candidates = sameView.length > 0 ? sameView : others;
  const otherObject = query.group === undefined ? candidates : candidates.filter((r) => r.group !== query.group);
  const finalists = otherObject.length > 0 ? otherObject : candidates;
  if (finalists.length === 0) return undefined;
  return createRandom(hashSeed(seed, 'reference', query.id)).pick(finalists);
}

/**
 * Step 1 of the Expert-AD pipeline (docs/METHOD.md §7): picks (reference, query) pairs of the same
 * category (and camera view where the dataset has views), balanced between normal and anomalous
 * queries and seeded. For an anomalous query the location (text and cells on the grid) comes from
 * its mask and the coarse type from its defect name (`coarseTypeOfDefect`). References come from
 * the dataset's normal training images; normal queries from its other normal images.
 *
 * @example
 * const dataset = await readMvtecLayout('/data/my-line');
 * const pairs = await preparePairs(dataset, { seed: 0, perCategory: 50 });
 */
export async function preparePairs(dataset: AnomalyDataset, options: PreparePairsOptions = {}): Promise<PairRecord[]> {
  const seed = options.seed ?? 0;
  const gridSize = options.gridSize ?? 3;
  const limit = options.perCategory ?? Number.POSITIVE_INFINITY;
  const byCategory = new Map<string, AnomalySample[]>();
  for (const sample of dataset.samples) byCategory.set(sample.category, [...(byCategory.get(sample.category) ?? []), sample]);
  const byPath = new Map(dataset.samples.map((s) => [s.imagePath, s]));
  const categories = [...byCategory.keys()].sort();
  const pairs: PairRecord[] = [];

  for (const [index, category] of categories.entries()) {
    const samples = (byCategory.get(category) as AnomalySample[]).slice().sort((a, b) => a.id.localeCompare(b.id));
    const normals = samples.filter((s) => s.label === 'normal');
    const referencePaths = new Set(dataset.normalReferences[category] ?? []);
    const referencePool = referencePaths.size > 0
      ? [...referencePaths].sort().map((path) => byPath.get(path) ?? ({ imagePath: path, id: path, category } as AnomalySample))
      : normals;
    const heldOut = normals.filter((s) => !referencePaths.has(s.imagePath));
    const normalQueries = seededShuffle(heldOut.length > 0 ? heldOut : normals, seed, category, 'normal');
    const anomalies = seededShuffle(samples.filter((s) => s.label === 'anomalous'), seed, category, 'anomalous');
    const wanted = Math.min(limit, normalQueries.length, anomalies.length);

    const anomalous: PairRecord[] = [];
    for (const sample of anomalies) {
      if (anomalous.length >= wanted) break;
      if (!sample.maskPath) {
        options.onSkip?.({ id: sample.id, reason: 'anomalous image without a mask: no location can be derived' });
        continue;
      }
      const placement = maskToCells(await loadMask(sample.maskPath), { gridSize });
      if (!placement.text) {
        options.onSkip?.({ id: sample.id, reason: `empty mask ${sample.maskPath}` });
        continue;
      }
      const defect = sample.defect ?? '';
      const coarseType = coarseTypeOfDefect(defect, options.typeMap);
      if (!coarseType) throw new UnknownDefectError(defect, sample.imagePath);
      const reference = chooseReference(sample, referencePool, seed);
      if (!reference) throw new DatasetError(dataset.root, `category ${category} has no normal image to use as a reference`);
      anomalous.push(pairOf(dataset, sample, reference, { location: { text: placement.text, cells: placement.cells, gridSize }, coarseType, defectCode: defect }));
    }
    // As many normal queries as anomalous ones were usable, so every category stays balanced.
    const normal = normalQueries.slice(0, anomalous.length).flatMap((sample) => {
      const reference = chooseReference(sample, referencePool, seed);
      return reference ? [pairOf(dataset, sample, reference, {})] : [];
    });
    for (let i = 0; i < Math.max(anomalous.length, normal.length); i++) {
      if (anomalous[i]) pairs.push(anomalous[i] as PairRecord);
      if (normal[i]) pairs.push(normal[i] as PairRecord);
    }
    options.onProgress?.(index + 1, categories.length);
  }
  return pairs;
}

function pairOf(dataset: AnomalyDataset, query: AnomalySample, reference: AnomalySample, extra: Partial<PairRecord>): PairRecord {
  return pairRecordSchema.parse({
    id: query.id,
    dataset: dataset.name,
    category: query.category,
    ...(query.view !== undefined ? { view: query.view } : {}),
    label: query.label,
    queryImage: query.imagePath,
    referenceImage: reference.imagePath,
    ...(query.maskPath && query.label === 'anomalous' ? { maskPath: query.maskPath } : {}),
    ...extra,
  });
}
