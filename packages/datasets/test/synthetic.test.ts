import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { maskToCells } from '@iad-r1/grid';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFECT_NAMES, DEFECT_TYPES, DatasetError, SYNTHETIC_CATEGORIES, generateSyntheticSet, loadMask, readSyntheticSet } from '../src/index';
import { tempRoot } from './fixture-files';

function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

const options = { seed: 7, size: 48, perCategory: 8 };
let first: string;

beforeAll(async () => {
  first = tempRoot('iad-r1-synth-');
  await generateSyntheticSet({ out: first, ...options });
});

describe('generateSyntheticSet', () => {
  it('is byte-identical for the same seed and different for another', async () => {
    const second = tempRoot('iad-r1-synth-');
    await generateSyntheticSet({ out: second, ...options });
    const a = hashTree(first);
    expect(Object.keys(a).length).toBe(480 + 160 + 2);
    expect(hashTree(second)).toEqual(a);
    const other = tempRoot('iad-r1-synth-');
    await generateSyntheticSet({ out: other, ...options, seed: 8 });
    const b = hashTree(other);
    const differing = Object.keys(a).filter((k) => a[k] !== b[k]);
    expect(differing.length).toBeGreaterThan(400);
  });

  it('sizes the benchmarks apart from the training set with benchmarkPerCategory', async () => {
    const out = tempRoot('iad-r1-synth-');
    const manifest = await generateSyntheticSet({ out, ...options, perCategory: 8, benchmarkPerCategory: 3 });
    // 8 training categories × 8 × 3 + 12 benchmark categories × 3 × 3.
    expect(manifest.counts.images).toBe(8 * 8 * 3 + 12 * 3 * 3);
    expect(manifest.benchmarkPerCategory).toBe(3);
    const set = await readSyntheticSet(out);
    expect(set.training.samples.filter((s) => s.split === 'test')).toHaveLength(8 * 16);
    for (const benchmark of Object.values(set.benchmarks)) expect(benchmark.samples.filter((s) => s.split === 'test')).toHaveLength(2 * 6);
    // Each image is drawn from its own seeded stream, so the training part equals the plain set's.
    const a = hashTree(join(first, 'train'));
    expect(hashTree(join(out, 'train'))).toEqual(a);
    await expect(generateSyntheticSet({ out, ...options, perCategory: 8, benchmarkPerCategory: 4 })).rejects.toThrow(/benchmarkPerCategory 3/);
  });

  it('reads back through the MVTec reader: training categories and six held-out benchmarks', async () => {
    const set = await readSyntheticSet(first);
    expect(Object.keys(set.benchmarks)).toEqual(['syn-mvtec', 'syn-visa', 'syn-mpdd', 'syn-dagm', 'syn-dtd', 'syn-sdd']);
    const trainingCategories = new Set(set.training.samples.map((s) => s.category));
    for (const [name, benchmark] of Object.entries(set.benchmarks)) {
      const test = benchmark.samples.filter((s) => s.split === 'test');
      expect(test.filter((s) => s.label === 'normal').length, name).toBe(16);
      expect(test.filter((s) => s.label === 'anomalous').length, name).toBe(16);
      for (const s of benchmark.samples) expect(trainingCategories.has(s.category), `${name}/${s.category} held out`).toBe(false);
    }
    const defects = new Set([set.training, ...Object.values(set.benchmarks)].flatMap((d) => d.samples.map((s) => s.defect)).filter(Boolean));
    expect([...defects].sort()).toEqual([...DEFECT_NAMES].sort());
    expect(set.manifest.counts.defects).toEqual(Object.fromEntries(DEFECT_NAMES.map((d) => [d, 20])));
  });

  it('writes Expert-AD records whose location and type agree with the mask and folder on disk', async () => {
    const set = await readSyntheticSet(first);
    expect(set.expertAd).toHaveLength(8 * 16);
    const anomalous = set.expertAd.filter((r) => r.label === 'anomalous');
    expect(anomalous).toHaveLength(64);
    for (const record of anomalous) {
      const defect = record.source.defectCode as string;
      expect(record.coarseType).toBe(DEFECT_TYPES[defect]);
      expect(record.queryImage).toContain(`/test/${defect}/`);
      const maskPath = join(first, record.queryImage.replace('/test/', '/ground_truth/').replace(/\.png$/, '_mask.png'));
      const placement = maskToCells(await loadMask(maskPath));
      expect(record.location?.text).toBe(placement.text);
      expect(record.location?.cells).toEqual(placement.cells);
      expect(record.think).toContain(record.fineType as string);
      expect(record.think).toMatch(/Decision: .* is anomalous\.$/);
      expect(statSync(join(first, record.referenceImage as string)).isFile()).toBe(true);
    }
    const normal = set.expertAd.find((r) => r.label === 'normal');
    expect(normal?.think).toMatch(/Integrity: .* Surface: .* Structure: .* Decision: the .* is normal\.$/);
    // A normal image's think varies only in its opening: words that say nothing about the image
    // would be tokens to learn for nothing.
    for (const category of new Set(set.expertAd.map((r) => r.source.category))) {
      const thinks = new Set(set.expertAd.filter((r) => r.label === 'normal' && r.source.category === category).map((r) => r.think));
      expect(thinks.size, category).toBeLessThanOrEqual(2);
    }
  });

  it('opens the think with the region verdict, the object named only after it', async () => {
    const set = await readSyntheticSet(first);
    const firstSentence = (think: string | undefined): string => (think ?? '').split(/(?<=\.) /)[0] as string;
    for (const record of set.expertAd) {
      const category = SYNTHETIC_CATEGORIES.find((c) => c.name === record.source.category);
      if (record.label === 'normal') expect(firstSentence(record.think)).toBe('Every region matches.');
      else {
        expect(firstSentence(record.think)).toMatch(new RegExp(`^The ${record.location?.text} region differs: [a-z][^.]*\\.$`));
      }
      // The object sentence follows, in one of two wordings.
      expect(record.think).toMatch(new RegExp(`^[^.]*\\. The (query image|image under inspection) shows ${category?.description}\\. `));
    }
  });

  it('leaves a complete set alone, and refuses to overwrite one made with other parameters', async () => {
    const manifest = await generateSyntheticSet({ out: first, ...options });
    expect(manifest.seed).toBe(7);
    await expect(generateSyntheticSet({ out: first, ...options, seed: 9 })).rejects.toThrow(DatasetError);
    await expect(generateSyntheticSet({ out: first, ...options, seed: 9 })).rejects.toThrow(/other parameters \(seed 7/);
  });
});
