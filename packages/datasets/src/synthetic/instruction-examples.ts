import { relative } from 'node:path';
import { categoryByName } from './catalog';
import { createRandom, hashSeed } from './random';
import type { SyntheticSet } from './read-synthetic-set';

/** The three generic visual questions of {@link syntheticInstructionExamples}. */
export type InstructionTask = 'describe' | 'identify' | 'same-kind';

/** One generic visual question about normal images, with its answer. */
export interface InstructionExample {
  /** `<query image path relative to the set's root>#<task>`, unique within a set. */
  id: string;
  task: InstructionTask;
  /** Prompt text with one `{image}` placeholder per image (references first, then the query). */
  template: string;
  /** Absolute paths; one image for `same-kind`, none otherwise. */
  referenceImages: string[];
  /** Absolute path of a normal training image. */
  queryImage: string;
  /** Plain text, as a general VLM answers: a sentence for `describe`, `Yes.` or `No.` otherwise. */
  answer: string;
}

/** The question wordings, `{noun}` filled in per example. */
export const INSTRUCTION_TEMPLATES: Readonly<Record<InstructionTask, string>> = {
  describe: '{image}What is shown in the image?',
  identify: '{image}Is this {noun}? Please answer by yes or no.',
  'same-kind': '{image}{image}Do these two images show the same kind of item? Please answer by yes or no.',
};

const withArticle = (noun: string): string => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
const sentence = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

/**
 * Generic visual questions about the training categories' normal training images — what the
 * object is, whether it is a given kind of object, whether two images show the same kind — for
 * the general instruction tuning a real VLM has had before anyone post-trains it: a small model
 * trained on them answers questions about images, in plain text, without ever having been told
 * what a defect is. No test image, no defect, no mask is used, so these examples carry no
 * anomaly label. Each image gets one example of each task; yes and no answers are drawn with
 * equal chance (the other kind from another training category). Deterministic from the seed.
 *
 * @example
 * const set = await readSyntheticSet('data/synthetic');
 * const examples = syntheticInstructionExamples(set, { seed: 0 });
 * examples[0]; // { task: 'describe', template: '{image}What is shown in the image?', answer: 'A two-coloured capsule.', … }
 */
export function syntheticInstructionExamples(set: SyntheticSet, options: { seed?: number } = {}): InstructionExample[] {
  const seed = options.seed ?? 0;
  const pools = set.training.normalReferences;
  const categories = Object.keys(pools).sort();
  if (categories.length < 2) throw new RangeError(`syntheticInstructionExamples needs normal training images of at least two categories, found ${categories.length} in ${set.root}`);
  const examples: InstructionExample[] = [];
  for (const category of categories) {
    const { description } = categoryByName(category);
    const images = pools[category] ?? [];
    for (const image of images) {
      const key = relative(set.root, image);
      const rng = createRandom(hashSeed(seed, 'instruction', key));
      const otherCategory = (): string => rng.pick(categories.filter((c) => c !== category));
      const id = (task: InstructionTask): string => `${key}#${task}`;
      examples.push({ id: id('describe'), task: 'describe', template: INSTRUCTION_TEMPLATES.describe, referenceImages: [], queryImage: image, answer: sentence(description) });

      const askedSame = rng.next() < 0.5;
      const asked = askedSame ? category : otherCategory();
      examples.push({
        id: id('identify'),
        task: 'identify',
        template: INSTRUCTION_TEMPLATES.identify.replace('{noun}', withArticle(categoryByName(asked).noun)),
        referenceImages: [],
        queryImage: image,
        answer: askedSame ? 'Yes.' : 'No.',
      });

      const pairedSame = rng.next() < 0.5;
      const pool = pairedSame ? images.filter((other) => other !== image) : (pools[otherCategory()] ?? []);
      if (pool.length === 0) continue;
      examples.push({ id: id('same-kind'), task: 'same-kind', template: INSTRUCTION_TEMPLATES['same-kind'], referenceImages: [rng.pick(pool)], queryImage: image, answer: pairedSame ? 'Yes.' : 'No.' });
    }
  }
  return examples;
}
