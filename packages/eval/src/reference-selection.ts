import { fnv1a } from '@iad-r1/cot-schema';
import type { AnomalyDataset, AnomalySample } from '@iad-r1/datasets';
import { IadR1Error } from '@iad-r1/errors';

/** Thrown when a 1-shot evaluation has no normal reference image for a sample. */
export class MissingReferenceError extends IadR1Error {
  override readonly name = 'MissingReferenceError';
  constructor(
    readonly sample: AnomalySample,
    reason: string,
  ) {
    super(`${sample.imagePath}: ${reason}`);
  }
}

/**
 * The normal reference image of a 1-shot question (docs/METHOD.md §6): the first of the sample's own
 * template list (MMAD `similar_templates` / `random_templates`), else one of the category's normal
 * training images chosen by a hash of (seed, sample) — never the query itself.
 *
 * @example
 * chooseReference(sample, dataset, 0); // '/data/mvtec/bottle/train/good/017.png'
 */
export function chooseReference(sample: AnomalySample, dataset: AnomalyDataset, seed: number): string {
  if (sample.references !== undefined) {
    const own = sample.references.find((r) => r !== sample.imagePath);
    if (!own) throw new MissingReferenceError(sample, '1-shot needs a reference image, but this entry\'s template list is empty (the manifest has no templates for it); evaluate it 0-shot');
    return own;
  }
  const pool = (dataset.normalReferences[sample.category] ?? []).filter((r) => r !== sample.imagePath);
  if (pool.length === 0) {
    throw new MissingReferenceError(sample, `1-shot needs a normal reference image, but category ${JSON.stringify(sample.category)} of ${dataset.name} has none`);
  }
  return pool[fnv1a(`${seed}\u0000${sample.dataset}\u0000${sample.id}`) % pool.length] as string;
}
