import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AnomalyDataset, AnomalySample } from '@iad-r1/datasets';
import { readMvtecLayout } from '@iad-r1/datasets';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UnknownDefectError, coarseTypeOfDefect, highlightDefect, parseThinkOutput, preparePairs } from '../src/index';
import type { PairRecord } from '../src/records';

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `iad-r1-expert-ad-${name}-`));

async function png(path: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number], channels: 1 | 3 = 3): Promise<void> {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = pixel(x, y);
    for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = p[c] as number;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await sharp(data, { raw: { width, height, channels } }).png().toBuffer());
}

const anomalousPair: PairRecord = {
  id: 'gear/test/scratch/000',
  dataset: 'mvtec',
  category: 'gear',
  label: 'anomalous',
  queryImage: '/q.png',
  referenceImage: '/r.png',
  location: { text: 'top left', cells: [1], gridSize: 3 },
  coarseType: 'Scratch',
  defectCode: 'scratch',
};
const normalPair: PairRecord = { id: 'gear/test/good/000', dataset: 'mvtec', category: 'gear', label: 'normal', queryImage: '/q2.png', referenceImage: '/r.png' };

describe('coarseTypeOfDefect', () => {
  it('maps Real-IAD codes, synthetic names, type names and synonyms, and the caller map first', () => {
    expect(coarseTypeOfDefect('AK')).toBe('Hole'); // docs/DATA.md: pit → Hole
    expect(coarseTypeOfDefect('ZW')).toBe('Contamination');
    expect(coarseTypeOfDefect('foreign_object')).toBe('Presence of foreign objects');
    expect(coarseTypeOfDefect('scratch')).toBe('Scratch');
    expect(coarseTypeOfDefect('broken_large')).toBeUndefined();
    expect(coarseTypeOfDefect('broken_large', { broken_large: 'Damage' })).toBe('Damage');
    expect(coarseTypeOfDefect('HS', { HS: 'Abrasion' })).toBe('Abrasion');
  });
});

describe('parseThinkOutput', () => {
  it('keeps a valid anomalous reply with its fine type', () => {
    const out = parseThinkOutput('<think>I see a thin bright line at the top left of the gear. It is a scratch.</think><type>linear scratch</type>', anomalousPair);
    expect(out).toEqual({ ok: true, think: 'I see a thin bright line at the top left of the gear. It is a scratch.', fineType: 'linear scratch' });
  });
  it('keeps a valid normal reply and tolerates text around the tags', () => {
    const out = parseThinkOutput('Sure!\n<think>The gear looks intact and clean everywhere.</think>\n', normalPair);
    expect(out).toEqual({ ok: true, think: 'The gear looks intact and clean everywhere.' });
  });
  it('rejects what would not make a valid record, with the reason', () => {
    const reasonOf = (raw: string, pair: PairRecord): string => {
      const out = parseThinkOutput(raw, pair);
      expect(out.ok).toBe(false);
      return out.ok ? '' : out.reason;
    };
    expect(reasonOf('no tags at all', normalPair)).toMatch(/no <think>/);
    expect(reasonOf('<think>   </think>', normalPair)).toMatch(/no <think>/);
    expect(reasonOf('<think>I see a thin bright line at the top left.</think>', anomalousPair)).toMatch(/no <type>/);
    expect(reasonOf('<think>The gear looks intact and clean everywhere.</think><type>scratch</type>', normalPair)).toMatch(/normal pair got a <type>/);
    expect(reasonOf('<think>It is a defect <answer>yes</answer> so far so good.</think><type>scratch</type>', anomalousPair)).toMatch(/another tag/);
    expect(reasonOf('<think>Scratch.</think><type>scratch</type>', anomalousPair)).toMatch(/too short/);
    expect(reasonOf('<think>I see a thin bright line at the top left.</think><type>a\nb</type>', anomalousPair)).toMatch(/short phrase/);
  });
});

describe('highlightDefect', () => {
  it('draws the outline on the ring just outside the mask and leaves every other pixel alone', async () => {
    const dir = tmp('highlight');
    const grey = (x: number, y: number): [number, number, number] => [x * 10, y * 10, 77];
    await png(join(dir, 'q.png'), 20, 20, grey);
    // Mask: the square x 8..11, y 5..9.
    const inMask = (x: number, y: number): boolean => x >= 8 && x <= 11 && y >= 5 && y <= 9;
    await png(join(dir, 'm.png'), 20, 20, (x, y) => (inMask(x, y) ? [255, 255, 255] : [0, 0, 0]), 1);
    const out = await sharp(await highlightDefect(join(dir, 'q.png'), join(dir, 'm.png'), { thickness: 1 })).raw().toBuffer({ resolveWithObject: true });
    expect(out.info).toMatchObject({ width: 20, height: 20, channels: 3 });
    let ring = 0;
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) {
      const i = (y * 20 + x) * 3;
      const pixel = [out.data[i], out.data[i + 1], out.data[i + 2]];
      // Ring by hand: outside the square, within one pixel (8-neighbourhood) of it: x 7..12, y 4..10.
      const onRing = !inMask(x, y) && x >= 7 && x <= 12 && y >= 4 && y <= 10;
      if (onRing) ring++;
      expect(pixel, `pixel ${x},${y}`).toEqual(onRing ? [255, 0, 0] : grey(x, y));
    }
    expect(ring).toBe(6 * 7 - 4 * 5);
  });
});

describe('preparePairs', () => {
  async function fixture(): Promise<string> {
    const root = tmp('mvtec');
    const flat = (v: number) => (): [number, number, number] => [v, v, v];
    for (let i = 0; i < 3; i++) await png(join(root, 'widget/train/good', `00${i}.png`), 30, 30, flat(100 + i));
    for (let i = 0; i < 2; i++) await png(join(root, 'widget/test/good', `00${i}.png`), 30, 30, flat(110 + i));
    // Three scratches: two with a defect in the top-left cell, one with an empty mask.
    for (let i = 0; i < 3; i++) {
      await png(join(root, 'widget/test/scratch', `00${i}.png`), 30, 30, flat(120 + i));
      const empty = i === 2;
      await png(join(root, 'widget/ground_truth/scratch', `00${i}_mask.png`), 30, 30, (x, y) => (!empty && x < 5 && y < 5 ? [255, 255, 255] : [0, 0, 0]), 1);
    }
    return root;
  }

  it('pairs balanced, seeded, with references from the normal training images and location and type from the mask and folder', async () => {
    const root = await fixture();
    const dataset = await readMvtecLayout(root, { name: 'mvtec' });
    const skipped: string[] = [];
    const pairs = await preparePairs(dataset, { seed: 3, onSkip: ({ id }) => skipped.push(id) });
    const anomalous = pairs.filter((p) => p.label === 'anomalous');
    const normal = pairs.filter((p) => p.label === 'normal');
    // Two test/good images → at most two of each label; the empty-mask anomaly is passed over when drawn.
    expect(normal).toHaveLength(2);
    expect(anomalous).toHaveLength(2);
    expect(normal.map((p) => p.queryImage).sort()).toEqual([0, 1].map((i) => join(root, 'widget/test/good', `00${i}.png`)));
    for (const pair of pairs) expect(pair.referenceImage).toMatch(/widget\/train\/good\/00[012]\.png$/);
    for (const pair of anomalous) {
      expect(pair.location).toEqual({ text: 'top left', cells: [1], gridSize: 3 });
      expect(pair.coarseType).toBe('Scratch');
      expect(pair.defectCode).toBe('scratch');
      expect(pair.maskPath).toMatch(/_mask\.png$/);
    }
    expect(new Set(pairs.map((p) => p.id)).size).toBe(4);
    expect(skipped.every((id) => id === 'widget/test/scratch/002')).toBe(true);
    expect(await preparePairs(dataset, { seed: 3 })).toEqual(pairs);
    // A 2×2 grid puts the same blob in cell 1, with the 2×2 phrase.
    const coarse = await preparePairs(dataset, { seed: 3, gridSize: 2 });
    expect(coarse.filter((p) => p.label === 'anomalous').every((p) => p.location?.gridSize === 2 && p.location.cells?.join() === '1')).toBe(true);
    expect(await preparePairs(dataset, { seed: 3, perCategory: 1 })).toHaveLength(2);
  });

  it('names the image and the way out when a defect name maps to no coarse type', async () => {
    const root = await fixture();
    await png(join(root, 'widget/test/wobble/000.png'), 30, 30, () => [1, 2, 3]);
    await png(join(root, 'widget/ground_truth/wobble/000_mask.png'), 30, 30, () => [255, 255, 255], 1);
    const dataset = await readMvtecLayout(root, { name: 'mvtec' });
    const only = { ...dataset, samples: dataset.samples.filter((s) => s.defect !== 'scratch') };
    await expect(preparePairs(only)).rejects.toThrow(UnknownDefectError);
    await expect(preparePairs(only)).rejects.toThrow(/wobble\/000\.png: cannot tell the coarse type of defect "wobble"; pass a type map/);
    expect((await preparePairs(only, { typeMap: { wobble: 'Deformation' } })).find((p) => p.label === 'anomalous')?.coarseType).toBe('Deformation');
  });

  it('keeps reference and query in the same camera view and on different physical samples (Real-IAD)', async () => {
    const root = await fixture();
    const mask = join(root, 'widget/ground_truth/scratch/000_mask.png');
    const sample = (id: string, label: 'normal' | 'anomalous', view: string, group: string, split: 'train' | 'test'): AnomalySample => ({
      id,
      dataset: 'real-iad',
      category: 'widget',
      label,
      imagePath: `/ri/${id}.jpg`,
      ...(label === 'anomalous' ? { maskPath: mask, defect: 'HS' } : {}),
      split,
      view,
      group,
    });
    const samples: AnomalySample[] = [];
    for (const group of ['S1', 'S2', 'S3']) for (const view of ['C1', 'C2']) samples.push(sample(`ok-${group}-${view}`, 'normal', view, group, 'train'));
    for (const group of ['S4', 'S5']) for (const view of ['C1', 'C2']) {
      samples.push(sample(`ng-${group}-${view}`, 'anomalous', view, group, 'test'));
      samples.push(sample(`ok-${group}-${view}`, 'normal', view, group, 'test'));
    }
    // S4's normal images are references too, so an S4 query could draw its own physical sample.
    const references = samples.filter((s) => s.split === 'train' || (s.label === 'normal' && s.group === 'S4')).map((s) => s.imagePath);
    const dataset: AnomalyDataset = { name: 'real-iad', root: '/ri', samples, normalReferences: { widget: references }, skipped: [] };
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const pairs = await preparePairs(dataset, { seed });
      // Normal queries: S5's two images (S4's are references), so two anomalous ones per seed too.
      expect(pairs).toHaveLength(4);
      const byPath = new Map(samples.map((s) => [s.imagePath, s]));
      for (const pair of pairs) {
        const query = byPath.get(pair.queryImage) as AnomalySample;
        const reference = byPath.get(pair.referenceImage) as AnomalySample;
        expect(reference.label).toBe('normal');
        expect(reference.view).toBe(query.view);
        expect(reference.group).not.toBe(query.group);
        expect(pair.view).toBe(query.view);
        if (pair.label === 'anomalous') expect(pair.coarseType).toBe('Scratch');
      }
    }
    const seeds = await Promise.all([0, 1, 2, 3, 4, 5].map((seed) => preparePairs(dataset, { seed })));
    expect(new Set(seeds.map((p) => p.map((x) => x.referenceImage).join())).size).toBeGreaterThan(1);
  });
});
