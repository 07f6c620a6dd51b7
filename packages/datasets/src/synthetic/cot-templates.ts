import { ANOMALY_TAXONOMY, type CoarseType } from '@iad-r1/cot-schema';
import type { SyntheticCategory } from './catalog';
import type { Random } from './random';

// Template chain-of-thought in the paper's three layers, kept concise as the paper's: spatial
// perception → knowledge-driven analysis (integrity, surface, structure) → decision. What a
// defect looks like is phrased in more than one way, so a model has to read the image, not
// memorise one sentence; a normal image's checks need no variety, and every word that carries
// no information about the image is a token a small model spends training on.

const APPEARANCE: Record<CoarseType, readonly string[]> = {
  Contamination: ['an irregular discoloured patch that does not belong to the material', 'a blotchy stain darker than its surroundings'],
  'Presence of foreign objects': ['a small object of another colour lying on top of the surface', 'a stray fragment that is not part of the item'],
  Scratch: ['a thin line cutting across the surface', 'a narrow linear mark with sharp edges'],
  'Missing parts': ['a region where material should be but is absent', 'a gap where the outline or pattern stops abruptly'],
  Deformation: ['a region where the outline or pattern is bent out of its regular shape', 'a local distortion of the regular geometry'],
  Hole: ['a small dark round opening in the material', 'a dark circular cavity with a bright rim'],
  Damage: ['a jagged dark crack with chipped edges', 'a broken, fractured line running through the material'],
  Abrasion: ['a dull worn patch with faded texture', 'a rubbed area where the surface finish is worn away'],
};

const INTEGRITY: Partial<Record<CoarseType, string>> = {
  'Missing parts': 'Integrity: the item is incomplete, part of the material is missing.',
  Damage: 'Integrity: the material is broken along the crack.',
};
const SURFACE: Partial<Record<CoarseType, string>> = {
  Contamination: 'Surface: a stain covers part of the surface.',
  'Presence of foreign objects': 'Surface: foreign material sits on the surface.',
  Scratch: 'Surface: the finish is cut by a linear scratch.',
  Abrasion: 'Surface: the finish is worn and has lost its texture.',
};
const STRUCTURE: Partial<Record<CoarseType, string>> = {
  Hole: 'Structure: the material is perforated.',
  Deformation: 'Structure: the shape is distorted compared with the reference.',
  Damage: 'Structure: the crack weakens the part.',
};

// The think opens with the region-by-region verdict, before the object is named: the first word
// of the think is then the decision, read from the image alone. Named first, the object made
// the decision a word that followed a category description — on a category never seen in
// training, one the model had just got wrong. The object sentence has two wordings.
const OPENINGS = ['The query image shows', 'The image under inspection shows'] as const;

/** A fine-grained type name for a coarse type, chosen among its synonyms. */
export function fineTypeFor(type: CoarseType, rng: Random): string {
  const category = ANOMALY_TAXONOMY.find((c) => c.name === type);
  return rng.pick(category ? category.synonyms : [type.toLowerCase()]);
}

/** The think text of a normal image. */
export function normalThink(category: SyntheticCategory, rng: Random): string {
  const opening = rng.pick(OPENINGS);
  return ['Every region matches.', `${opening} ${category.description}.`, 'Integrity: complete.', 'Surface: clean.', 'Structure: regular.', `Decision: the ${category.noun} is normal.`].join(' ');
}

/** The think text of an anomalous image, naming where and what the defect is. */
export function anomalousThink(category: SyntheticCategory, type: CoarseType, fineType: string, location: string, rng: Random): string {
  const where = location === 'center' ? 'the center' : `the ${location}`;
  const opening = rng.pick(OPENINGS);
  return [
    `${where.charAt(0).toUpperCase()}${where.slice(1)} region differs: ${rng.pick(APPEARANCE[type])}.`,
    `${opening} ${category.description}.`,
    INTEGRITY[type] ?? 'Integrity: complete.',
    SURFACE[type] ?? 'Surface: regular.',
    STRUCTURE[type] ?? 'Structure: intact.',
    `Decision: this is a ${fineType}, a ${type.toLowerCase()} defect at ${where}, so the ${category.noun} is anomalous.`,
  ].join(' ');
}
