import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnomalySample } from '@iad-r1/datasets';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type AnswerRecord,
  consistencyMetrics,
  defectTypeTruth,
  interpretationMetrics,
  interpretationTruth,
  judgeInterpretation,
  reasoningVerdict,
  structureFitsAnswer,
  summarise,
  thinkAgreesWithAnswer,
  thinkNamesOtherObject,
} from '../src/index';

const truth = { gridSize: 3, cells: [1, 2, 4], cell: 1, type: 'Scratch' };

function record(response: string, overrides: Partial<AnswerRecord> = {}): AnswerRecord {
  const answer = /<answer>\s*(yes|no)\s*<\/answer>/i.exec(response)?.[1]?.toLowerCase() as 'yes' | 'no' | undefined;
  const label = overrides.label ?? 'anomalous';
  return {
    key: `d::${Math.random()}`,
    dataset: 'd',
    category: 'c',
    image: '/x.png',
    label,
    references: [],
    response,
    answer: answer ?? null,
    correct: answer !== undefined && (answer === 'yes') === (label === 'anomalous'),
    truth,
    ...overrides,
  };
}

const yes = (location: string | null, type: string | null): string =>
  `<think>t</think>${location === null ? '' : `<location>${location}</location>`}${type === null ? '' : `<type>${type}</type>`}<answer>yes</answer>`;

describe('interpretation: <location> on the grid, <type> by the matcher', () => {
  it('scores one answer against the dominant and the covered cells (3×3: 1 2 3 / 4 5 6 / 7 8 9)', () => {
    // "top left" → cell 1 = the dominant cell; "scratches" contains "scratch": 0.85 (type reward step 8).
    expect(judgeInterpretation(record(yes('top left', 'scratches')))).toEqual({ predictedCell: 1, dominantHit: true, anyHit: true, typeScore: 0.85 });
    // "top centre" → cell 2: covered, not dominant.
    expect(judgeInterpretation(record(yes('top centre', 'Scratch')))).toMatchObject({ predictedCell: 2, dominantHit: false, anyHit: true, typeScore: 1 });
    // "bottom right" → 9: neither.
    expect(judgeInterpretation(record(yes('bottom right', null)))).toMatchObject({ predictedCell: 9, dominantHit: false, anyHit: false, typeScore: 0 });
    // No <location> tag: a miss, not the centre.
    expect(judgeInterpretation(record(yes(null, 'hole')))).toMatchObject({ predictedCell: null, dominantHit: false, anyHit: false });
  });

  it('counts only anomalous images answered yes that have a truth', () => {
    expect(judgeInterpretation(record('<think>t</think><answer>no</answer>'))).toBeUndefined();
    expect(judgeInterpretation(record(yes('top left', 'scratch'), { label: 'normal' }))).toBeUndefined();
    const { truth: _, ...untruthed } = record(yes('top left', 'scratch'));
    expect(judgeInterpretation(untruthed)).toBeUndefined();
    // A truth without a mask scores the type only.
    expect(judgeInterpretation(record(yes('top left', 'scratch'), { truth: { gridSize: 3, cells: [], cell: null, type: 'Scratch' } }))).toEqual({ typeScore: 1 });
  });

  it('aggregates: accuracies over their own counts', () => {
    const answers = [
      record(yes('top left', 'scratches')), // dominant, any; 0.85 (hit)
      record(yes('top centre', 'Scratch')), // any; 1 (hit)
      record(yes('bottom right', 'wear marks')), // miss; "wear marks" is Abrasion (structural), Scratch is a surface type: groups differ → 0
      record(yes(null, null)), // miss; 0
      record('<think>t</think><answer>no</answer>'), // not counted
      record(yes('top left', 'scratch'), { label: 'normal' }), // not counted
    ];
    const m = interpretationMetrics(answers);
    expect(m).toMatchObject({ located: 4, dominantHits: 1, anyHits: 2, typed: 4, typeHits: 2 });
    expect(m.dominantAccuracy).toBeCloseTo(25, 12);
    expect(m.anyAccuracy).toBeCloseTo(50, 12);
    expect(m.typeAccuracy).toBeCloseTo(50, 12);
    expect(m.typeMeanScore).toBeCloseTo((0.85 + 1 + 0 + 0) / 4, 12);
  });

  it('reads the truth from the mask and the defect name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-truth-'));
    // 9×9 mask: a 3×3 blob in the top-left cell and one stray pixel in the bottom-right cell.
    const pixels = new Uint8Array(81);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) pixels[y * 9 + x] = 255;
    pixels[80] = 255;
    const maskPath = join(dir, 'mask.png');
    await sharp(Buffer.from(pixels), { raw: { width: 9, height: 9, channels: 1 } }).png().toFile(maskPath);
    const sample: AnomalySample = { id: 'q', dataset: 'd', category: 'c', label: 'anomalous', imagePath: join(dir, 'q.png'), maskPath, defect: 'scratch', split: 'test' };
    expect(await interpretationTruth(sample, 3)).toEqual({ gridSize: 3, cells: [1, 9], cell: 1, type: 'Scratch' });
    // The same mask on a 9×9 grid: one pixel per cell.
    expect(await interpretationTruth(sample, 9)).toMatchObject({ cells: [1, 2, 3, 10, 11, 12, 19, 20, 21, 81], cell: 11 });
    expect(await interpretationTruth({ ...sample, defect: 'combined' }, 3)).toEqual({ gridSize: 3, cells: [1, 9], cell: 1 });
    expect(await interpretationTruth({ ...sample, label: 'normal' }, 3)).toBeUndefined();
    const { maskPath: _, ...noMask } = sample;
    expect(await interpretationTruth({ ...noMask, defect: 'defect' }, 3)).toBeUndefined();
  });

  it('maps defect names to a type to score against', () => {
    expect(defectTypeTruth('foreign_object')).toBe('Presence of foreign objects');
    expect(defectTypeTruth('AK')).toBe('Hole'); // Real-IAD code
    expect(defectTypeTruth('broken_large')).toBe('broken large');
    expect(defectTypeTruth('combined')).toBeUndefined();
    expect(defectTypeTruth('Defect')).toBeUndefined();
    expect(defectTypeTruth(undefined)).toBeUndefined();
  });
});

describe('reasoning–answer consistency', () => {
  it("checks structure against the model's own answer", () => {
    expect(structureFitsAnswer('<think>a</think><location>top</location><type>hole</type><answer>yes</answer>', 'yes')).toBe(true);
    expect(structureFitsAnswer('<think>a</think><location>top</location><type>hole</type><answer>no</answer>', 'no')).toBe(false);
    expect(structureFitsAnswer('<think>a</think><answer>yes</answer>', 'yes')).toBe(false);
    expect(structureFitsAnswer('<think>a</think><answer>no</answer>', 'no')).toBe(true);
  });

  it('reads what a reasoning concludes, sentence by sentence', () => {
    expect(reasoningVerdict('A thin scratch runs across the upper left corner.')).toBe('anomalous');
    expect(reasoningVerdict('The surface is uniform. Every region matches the reference.')).toBe('normal');
    expect(reasoningVerdict('There is no scratch in the upper left corner; the surface looks normal.')).toBe('normal');
    expect(reasoningVerdict('No cracks, but a dent near the bottom edge.')).toBe('anomalous');
    expect(reasoningVerdict('The screw appears damaged.')).toBe('anomalous');
    expect(reasoningVerdict('The screw is not damaged.')).toBe('normal');
    expect(reasoningVerdict('The fabric is not normal.')).toBe('anomalous');
    expect(reasoningVerdict('The top half is defect-free and spotless.')).toBe('normal');
    expect(reasoningVerdict('The image shows a metal plate.')).toBeUndefined();
    // Both kinds: the last cue is the conclusion.
    expect(reasoningVerdict('At first a spot in the centre looked odd. On closer comparison the object is intact.')).toBe('normal');
    // The demo's misread screw (issue #20): reasoning about wood, concluding normal.
    expect(reasoningVerdict('The image under inspection shows a wood grain surface. Decision: the wood surface is normal.')).toBe('normal');
  });

  it('compares the think with the answer', () => {
    expect(thinkAgreesWithAnswer('<think>Every region matches the reference.</think><answer>yes</answer>', 'yes')).toBe(false);
    expect(thinkAgreesWithAnswer('<think>A hole at the bottom right.</think><location>bottom right</location><type>hole</type><answer>yes</answer>', 'yes')).toBe(true);
    expect(thinkAgreesWithAnswer('<think>A hole at the bottom right.</think><answer>no</answer>', 'no')).toBe(false);
    expect(thinkAgreesWithAnswer('<think>Looking closely.</think><answer>no</answer>', 'no')).toBeUndefined();
    expect(thinkAgreesWithAnswer('<answer>no</answer>', 'no')).toBeUndefined();
  });

  it('sees a reasoning about another object of the run', () => {
    const categories = ['screw', 'wood', 'metal_nut'];
    // The demo's misread screw (issue #20): consistent with its answer, but about wood.
    expect(thinkNamesOtherObject('<think>The image under inspection shows a wood grain surface. Decision: the wood surface is normal.</think><answer>no</answer>', 'screw', categories)).toBe(true);
    expect(thinkNamesOtherObject('<think>The screw head sits on wood.</think><answer>no</answer>', 'screw', categories)).toBe(false);
    expect(thinkNamesOtherObject('<think>Both metal nuts look intact.</think><answer>no</answer>', 'metal_nut', categories)).toBe(false);
    expect(thinkNamesOtherObject('<think>A plain surface.</think><answer>no</answer>', 'screw', categories)).toBeUndefined();
    expect(thinkNamesOtherObject('<answer>no</answer>', 'screw', categories)).toBeUndefined();
    // "screwdriver" is not "screw": whole words only.
    expect(thinkNamesOtherObject('<think>A screwdriver mark on the wood.</think><answer>yes</answer>', 'metal_nut', categories)).toBe(true);
    const answers = [
      record('<think>A wood grain surface.</think><answer>no</answer>', { category: 'screw' }),
      record('<think>The screw is intact.</think><answer>no</answer>', { category: 'screw' }),
      record('<think>Nothing to see.</think><answer>no</answer>', { category: 'screw' }),
    ];
    expect(consistencyMetrics(answers, categories)).toMatchObject({ objectChecked: 2, otherObject: 1, otherObjectRate: 50 });
    // Without the dataset's other categories, only "names its own" can be seen.
    expect(consistencyMetrics(answers)).toMatchObject({ objectChecked: 1, otherObject: 0 });
    expect(summarise(answers).datasets.d?.consistency).toMatchObject({ objectChecked: 1, otherObject: 0 }); // only "screw" in this run
    // A category of another dataset of the run counts too.
    expect(summarise([...answers, record('<think>x</think><answer>no</answer>', { dataset: 'e', category: 'wood' })]).datasets.d?.consistency).toMatchObject({ objectChecked: 2, otherObject: 1 });
  });

  it('aggregates each check over what it could decide', () => {
    const answers = [
      record('<think>A hole at the bottom right.</think><location>bottom right</location><type>hole</type><answer>yes</answer>', { judge: 'yes' }), // fits, agrees
      record('<think>Every region matches the reference.</think><answer>yes</answer>', { judge: 'no' }), // no fit, disagrees
      record('<think>Looking closely.</think><answer>no</answer>', { judge: null }), // fits, undecided, judge unreadable
      record('<think>The surface is clean and intact.</think><answer>no</answer>'), // fits, undecided (below)
      record('Yes, there is a defect.'), // not tagged
      record('<think>x</think><answer>maybe</answer>'), // unreadable: not counted
    ];
    const m = consistencyMetrics(answers);
    expect(m).toMatchObject({ tagged: 4, structureFits: 3, judged: 2, judgeAgrees: 1 });
    expect(m.structureRate).toBeCloseTo(75, 12);
    // "The surface is clean and intact": no defect word, and "is clean and intact" has two words
    // between verb and adjective, so no cue: undecided. Decided: answers 1 (agrees) and 2 (disagrees).
    expect(m).toMatchObject({ thinkChecked: 2, thinkAgrees: 1 });
    expect(m.thinkAgreement).toBeCloseTo(50, 12);
    expect(m.judgeAgreement).toBeCloseTo(50, 12);
  });

  it('puts interpretation and consistency into every group of the summary', () => {
    const answers = [record(yes('top left', 'scratch')), record(yes('bottom right', 'scratch'), { category: 'e' })];
    const summary = summarise(answers);
    expect(summary.datasets.d?.interpretation).toMatchObject({ located: 2, anyHits: 1 });
    expect(summary.datasets.d?.categories.c?.interpretation).toMatchObject({ located: 1, anyHits: 1 });
    expect(summary.datasets.d?.categories.e?.interpretation).toMatchObject({ located: 1, anyHits: 0 });
    expect(summary.datasets.d?.consistency).toMatchObject({ tagged: 2, structureFits: 2 });
    expect(summary.scoring).toEqual({ parsing: 'iad-r1', unparsed: 'wrong' });
  });
});
