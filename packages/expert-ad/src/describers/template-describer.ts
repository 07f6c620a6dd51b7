import type { CoarseType } from '@iad-r1/cot-schema';
import { createRandom, hashSeed } from '@iad-r1/datasets';
import type { PairRecord } from '../records';
import type { Describer } from './describer';

/** Fine-grained names per coarse type, for offline records. */
const FINE_TYPES: Readonly<Record<CoarseType, readonly string[]>> = {
  Contamination: ['stain', 'oil smear', 'discoloured patch'],
  'Presence of foreign objects': ['foreign particle', 'adhered debris', 'loose fibre'],
  Scratch: ['linear scratch', 'fine surface scratch', 'deep scratch'],
  'Missing parts': ['missing section', 'missing feature', 'absent component'],
  Deformation: ['bent edge', 'local dent', 'warped contour'],
  Hole: ['puncture hole', 'pit', 'pinhole'],
  Damage: ['chipped edge', 'crack', 'broken area'],
  Abrasion: ['worn area', 'rubbed patch', 'scuffed surface'],
};

const SURFACE = ['an even surface', 'a uniform surface finish', 'a consistent texture'];
const STRUCTURE = ['the expected outline', 'an intact contour', 'its usual geometry'];

/**
 * An offline describer: writes the description and the three-layer CoT from the pair's own
 * ground truth (category, coarse type, location) with seeded phrasing, no model involved. It lets
 * the whole pipeline run without a VLM (tests, the demo); its texts are templates, not
 * observations, so real training sets should use `vlmDescriber`.
 *
 * @example
 * const describer = templateDescriber({ seed: 0 });
 * await describer.describe(pair, undefined); // 'Compared to the reference image, there is …'
 */
export function templateDescriber(options: { seed?: number } = {}): Describer {
  const seed = options.seed ?? 0;
  const category = (pair: PairRecord): string => pair.category.replace(/[_-]+/g, ' ');
  // One fine type per pair, so the description and the CoT name the same defect.
  const fineType = (pair: PairRecord): string => createRandom(hashSeed(seed, 'fine-type', pair.id)).pick(FINE_TYPES[pair.coarseType as CoarseType]);
  return {
    id: 'template',
    async describe(pair) {
      const rng = createRandom(hashSeed(seed, 'describe', pair.id));
      if (pair.label === 'normal') {
        return `Compared to the reference image, there is no visible difference: the ${category(pair)} in the query shows ${rng.pick(SURFACE)} and ${rng.pick(STRUCTURE)}, matching the reference.`;
      }
      const fine = fineType(pair);
      return `Compared to the reference image, there is a ${fine} at the ${pair.location?.text} of the ${category(pair)}, which the reference does not show; the rest of the ${category(pair)} matches the reference.`;
    },
    async think(pair, _description, attempt) {
      const rng = createRandom(hashSeed(seed, 'think', pair.id, attempt));
      const name = category(pair);
      if (pair.label === 'normal') {
        return (
          `<think>I look over the whole ${name}: every region shows ${rng.pick(SURFACE)} and ${rng.pick(STRUCTURE)}. ` +
          `Its integrity is complete, the surface is clean and the structure is regular. ` +
          `No region departs from a normal ${name}, so there is no defect.</think>`
        );
      }
      const fine = fineType(pair);
      const where = pair.location?.text;
      return (
        `<think>I look over the ${name} and notice an irregular region at the ${where}. ` +
        `There the ${rng.pick(['surface', 'material', 'outline'])} departs from a normal ${name}: it looks like a ${fine}, which breaks its ${rng.pick(['integrity', 'surface finish', 'structure'])}. ` +
        `This is a defect, so the ${name} is anomalous.</think><type>${fine}</type>`
      );
    },
  };
}
