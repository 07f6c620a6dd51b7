import { fnv1a } from '@iad-r1/cot-schema';
import type { AnomalyDataset, AnomalySample } from '@iad-r1/datasets';
import { IadR1Error } from '@iad-r1/errors';

/** Thrown when a k-shot evaluation has too few normal reference images for a sample. */
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
 * The k normal reference images of a k-shot question (docs/METHOD.md §6), never the query itself:
 * the first k of the sample's own template list (MMAD `similar_templates`, or `random_templates`
 * when the manifest was read with `references: 'random'` — the authors' scripts' default), else k
 * distinct normal training images of its category, starting at a hash of (seed, sample) and
 * taking the next ones in order. For k = 1 this is the one image earlier versions chose.
 *
 * @example
 * chooseReferences(sample, dataset, 0, 2); // ['/data/mvtec/bottle/train/good/017.png', '/data/mvtec/bottle/train/good/018.png']
 */
export function chooseReferences(sample: AnomalySample, dataset: AnomalyDataset, seed: number, k: number): string[] {
  if (k === 0) return [];
  if (sample.references !== undefined) {
    const own = sample.references.filter((r) => r !== sample.imagePath);
    if (own.length < k) {
      const has = own.length === 0 ? 'this entry\'s template list is empty (the manifest has no templates for it)' : `this entry's template list has only ${own.length}`;
      throw new MissingReferenceError(sample, `${k}-shot needs ${k === 1 ? 'a reference image' : `${k} reference images`}, but ${has}; evaluate it with fewer shots`);
    }
    return own.slice(0, k);
  }
  const pool = (dataset.normalReferences[sample.category] ?? []).filter((r) => r !== sample.imagePath);
  if (pool.length < k) {
    throw new MissingReferenceError(sample, `${k}-shot needs ${k === 1 ? 'a normal reference image' : `${k} normal reference images`}, but category ${JSON.stringify(sample.category)} of ${dataset.name} has ${pool.length === 0 ? 'none' : `only ${pool.length}`}`);
  }
  const start = fnv1a(`${seed}\u0000${sample.dataset}\u0000${sample.id}`) % pool.length;
  return Array.from({ length: k }, (_, i) => pool[(start + i) % pool.length] as string);
}

/**
 * The normal reference image of a 1-shot question: `chooseReferences(sample, dataset, seed, 1)[0]`.
 *
 * @example
 * chooseReference(sample, dataset, 0); // '/data/mvtec/bottle/train/good/017.png'
 */
export function chooseReference(sample: AnomalySample, dataset: AnomalyDataset, seed: number): string {
  return chooseReferences(sample, dataset, seed, 1)[0] as string;
}
