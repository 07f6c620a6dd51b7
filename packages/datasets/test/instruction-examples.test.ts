import { sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_CATEGORIES, type SyntheticSet, generateSyntheticSet, readSyntheticSet, syntheticInstructionExamples } from '../src/index';
import { tempRoot } from './fixture-files';

let set: SyntheticSet;
beforeAll(async () => {
  const out = tempRoot('iad-r1-instruct-');
  await generateSyntheticSet({ out, seed: 3, size: 32, perCategory: 6, benchmarkPerCategory: 1 });
  set = await readSyntheticSet(out);
});

// The category of an image from its MVTec-layout path: <root>/train/<category>/train/good/NNN.png.
const categoryOf = (path: string): string => path.split(sep).at(-4) as string;
const catalog = (name: string) => SYNTHETIC_CATEGORIES.find((c) => c.name === name);

describe('syntheticInstructionExamples', () => {
  it('asks three questions of every normal training image, and of nothing else', () => {
    const examples = syntheticInstructionExamples(set, { seed: 0 });
    // 8 training categories × 6 normal training images × 3 tasks.
    expect(examples).toHaveLength(8 * 6 * 3);
    expect(new Set(examples.map((e) => e.id)).size).toBe(examples.length);
    for (const e of examples) {
      for (const image of [e.queryImage, ...e.referenceImages]) expect(image, e.id).toMatch(/[\\/]train[\\/]good[\\/]\d{3}\.png$/);
      expect(e.template.split('{image}').length - 1, e.id).toBe(e.referenceImages.length + 1);
      // No word of defects anywhere: this stage must not teach anomaly detection.
      expect(`${e.template} ${e.answer}`, e.id).not.toMatch(/defect|anomal|normal|scratch|crack|stain|damage/i);
    }
  });

  it('answers each question from the images’ categories', () => {
    const examples = syntheticInstructionExamples(set, { seed: 0 });
    for (const e of examples.filter((x) => x.task === 'describe')) {
      const description = catalog(categoryOf(e.queryImage))?.description as string;
      expect(e.answer.toLowerCase(), e.id).toBe(`${description.toLowerCase()}.`);
      expect(e.answer[0], e.id).toBe(e.answer[0]?.toUpperCase());
    }
    const identify = examples.filter((x) => x.task === 'identify');
    for (const e of identify) {
      const asked = /Is this an? (.+)\? Please answer by yes or no\.$/.exec(e.template)?.[1];
      expect(e.answer, e.id).toBe(asked === catalog(categoryOf(e.queryImage))?.noun ? 'Yes.' : 'No.');
    }
    const sameKind = examples.filter((x) => x.task === 'same-kind');
    for (const e of sameKind) {
      expect(e.referenceImages[0], e.id).not.toBe(e.queryImage);
      expect(e.answer, e.id).toBe(categoryOf(e.referenceImages[0] as string) === categoryOf(e.queryImage) ? 'Yes.' : 'No.');
    }
    // Yes and no about equally often (48 draws each; a fair coin stays in 14–34 with p > 0.999).
    for (const list of [identify, sameKind]) {
      const yes = list.filter((e) => e.answer === 'Yes.').length;
      expect(yes).toBeGreaterThanOrEqual(14);
      expect(yes).toBeLessThanOrEqual(34);
    }
  });

  it('is deterministic for a seed and draws differently for another', () => {
    const a = syntheticInstructionExamples(set, { seed: 0 });
    expect(syntheticInstructionExamples(set, { seed: 0 })).toEqual(a);
    const b = syntheticInstructionExamples(set, { seed: 1 });
    const differing = a.filter((e, i) => e.answer !== b[i]?.answer || e.template !== b[i]?.template || e.referenceImages[0] !== b[i]?.referenceImages[0]);
    expect(differing.length).toBeGreaterThan(20);
  });

  it('needs at least two categories to ask about', () => {
    const [first] = Object.entries(set.training.normalReferences);
    const single = { ...set, training: { ...set.training, normalReferences: Object.fromEntries([first as [string, string[]]]) } };
    expect(() => syntheticInstructionExamples(single)).toThrow(/at least two categories, found 1/);
  });
});
