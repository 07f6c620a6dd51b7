import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExpertAdRecord, expertAdRecordSchema } from '../records/expert-ad-record';
import { paSftRecordSchema } from '../records/pa-sft-record';
import { scGrpoRecordSchema } from '../records/sc-grpo-record';
import { COARSE_TYPES } from '../taxonomy/anomaly-taxonomy';
import {
  ConversionError,
  easyR1RowSchema,
  easyR1RowToScGrpo,
  expertAdToPaSft,
  expertAdToScGrpo,
  openRlhfRowSchema,
  openRlhfRowToScGrpo,
  paSftToExpertAd,
  parseSolution,
  scGrpoToEasyR1Row,
  scGrpoToExpertAd,
  scGrpoToOpenRlhfRow,
  scGrpoToTrlRow,
  scGrpoToVerlRow,
  solutionOf,
  trlRowSchema,
  trlRowToScGrpo,
  verlRowSchema,
  verlRowToScGrpo,
} from './index';

const source = { dataset: 'synthetic', category: 'plate' };
const anomalous: ExpertAdRecord = expertAdRecordSchema.parse({
  id: 'plate-007',
  queryImage: 'plate/test/scratch/007.png',
  referenceImage: 'plate/train/good/001.png',
  label: 'anomalous',
  location: { text: 'top left', cells: [1], gridSize: 3 },
  coarseType: 'Scratch',
  fineType: 'linear scratch',
  think: 'Compared to the reference, a thin bright line crosses the top left.',
  source,
});
const normal: ExpertAdRecord = expertAdRecordSchema.parse({
  id: 'plate-001',
  queryImage: 'plate/test/good/001.png',
  referenceImage: 'plate/train/good/002.png',
  label: 'normal',
  think: 'The surface matches the reference.',
  source,
});

describe('Expert-AD → PA-SFT (LLaMA-Factory sharegpt)', () => {
  it('writes the 0-shot record of docs/METHOD.md §1', () => {
    expect(expertAdToPaSft(anomalous)).toEqual({
      images: ['plate/test/scratch/007.png'],
      messages: [
        { role: 'user', content: '<image>\nAre there any defects in the query image?' },
        {
          role: 'assistant',
          content:
            '<think>Compared to the reference, a thin bright line crosses the top left.</think><location>top left</location><type>scratch</type><answer>Yes</answer>',
        },
      ],
    });
  });

  it('writes the 1-shot record with reference first and two markers after the prompt', () => {
    const record = expertAdToPaSft(normal, { shots: 1 });
    expect(record.images).toEqual(['plate/train/good/002.png', 'plate/test/good/001.png']);
    expect(record.messages[0]?.content).toMatch(/^You are an expert .*baseline for what is considered normal\.Are there any defects in the query image\?\n<image>\n<image>$/s);
    expect(paSftRecordSchema.safeParse(record).success).toBe(true);
  });

  it('supports the ablations: answer-only targets and fine types', () => {
    expect(expertAdToPaSft(anomalous, { target: 'answer-only' }).messages[1]?.content).toBe('<answer>Yes</answer>');
    expect(expertAdToPaSft(anomalous, { typeLevel: 'fine' }).messages[1]?.content).toContain('<type>linear scratch</type>');
  });

  it('round-trips back to the canonical record', () => {
    for (const record of [anomalous, normal]) {
      for (const shots of [0, 1] as const) {
        const back = paSftToExpertAd(expertAdToPaSft(record, { shots, typeLevel: 'fine' }), { id: record.id, source });
        // The sharegpt format carries neither grid cells nor (0-shot) the reference image.
        const { location, referenceImage, ...rest } = record;
        const expected = { ...rest, ...(shots === 1 ? { referenceImage } : {}), ...(location ? { location: { text: location.text } } : {}) };
        expect(back).toEqual(expected);
      }
    }
  });

  it('names the record and field when it cannot convert', () => {
    const noReference = { ...normal, referenceImage: undefined };
    expect(() => expertAdToPaSft(noReference, { shots: 1 })).toThrow(ConversionError);
    expect(() => expertAdToPaSft(noReference, { shots: 1 })).toThrow('record "plate-001", field referenceImage');
    expect(() => paSftToExpertAd(expertAdToPaSft(anomalous, { target: 'answer-only' }))).toThrow(/answer-only anomalous/);
  });
});

describe('Expert-AD → SC-GRPO', () => {
  it('writes the solution strings of docs/METHOD.md §1', () => {
    expect(expertAdToScGrpo(normal)).toEqual({
      id: 'plate-001',
      image: 'plate/test/good/001.png',
      problem: 'Are there any defects in the query image?',
      solution: '<answer>No</answer>',
    });
    expect(solutionOf(anomalous)).toBe('<location>top left</location><type>scratch</type><answer>Yes</answer>');
    expect(expertAdToScGrpo(anomalous, { shots: 1 }).image).toEqual(['plate/train/good/001.png', 'plate/test/scratch/007.png']);
  });

  it('parses solutions back', () => {
    expect(parseSolution('<location>top</location><type>hole</type><answer>Yes</answer>')).toEqual({
      label: 'anomalous',
      location: 'top',
      type: 'hole',
    });
    expect(parseSolution(' no ')).toEqual({ label: 'normal' });
    expect(parseSolution('<answer>perhaps</answer>')).toBeUndefined();
  });
});

// Random canonical records for the round trips below.
const words = fc.stringMatching(/^[a-z][a-z ]{0,15}[a-z]$/);
const recordArb: fc.Arbitrary<ExpertAdRecord> = fc
  .record({
    id: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
    query: fc.stringMatching(/^[a-z0-9/]{1,20}\.png$/),
    reference: fc.stringMatching(/^[a-z0-9/]{1,20}\.png$/),
    anomalous: fc.boolean(),
    location: words,
    coarseType: fc.constantFrom(...COARSE_TYPES),
  })
  .map((r) =>
    expertAdRecordSchema.parse({
      id: r.id,
      queryImage: r.query,
      referenceImage: r.reference,
      label: r.anomalous ? 'anomalous' : 'normal',
      ...(r.anomalous ? { location: { text: r.location }, coarseType: r.coarseType } : {}),
      source,
    }),
  );

describe('SC-GRPO ↔ Expert-AD and RL framework rows', () => {
  it('round-trip for random records, 0- and 1-shot', () => {
    fc.assert(
      fc.property(recordArb, fc.constantFrom(0 as const, 1 as const), (record, shots) => {
        const sc = scGrpoRecordSchema.parse(expertAdToScGrpo(record, { shots }));
        const back = scGrpoToExpertAd(sc, { source });
        expect(back).toEqual(shots === 1 ? record : { ...record, referenceImage: undefined });

        expect(trlRowToScGrpo(trlRowSchema.parse(scGrpoToTrlRow(sc)))).toEqual(sc);
        expect(verlRowToScGrpo(verlRowSchema.parse(scGrpoToVerlRow(sc, 3)))).toEqual(sc);
        expect(easyR1RowToScGrpo(easyR1RowSchema.parse(scGrpoToEasyR1Row(sc)))).toEqual(sc);
        expect(openRlhfRowToScGrpo(openRlhfRowSchema.parse(scGrpoToOpenRlhfRow(sc)))).toEqual(sc);
      }),
      { numRuns: 200 },
    );
  });

  it('write the shapes the Python engines read', () => {
    const sc = expertAdToScGrpo(anomalous, { shots: 1 });
    expect(scGrpoToVerlRow(sc, 5)).toMatchObject({
      data_source: 'iad-r1',
      prompt: [{ role: 'user', content: expect.stringMatching(/^<image><image>You are an expert/) }],
      images: [{ image: 'plate/train/good/001.png' }, { image: 'plate/test/scratch/007.png' }],
      reward_model: { style: 'rule', ground_truth: sc.solution },
      extra_info: { index: 5, id: 'plate-007' },
    });
    expect(scGrpoToTrlRow(sc).prompt[0]?.content.slice(0, 2)).toEqual([{ type: 'image' }, { type: 'image' }]);
    expect(scGrpoToEasyR1Row(sc)).toMatchObject({ answer: sc.solution, images: sc.image });
    expect(scGrpoToOpenRlhfRow(sc).label).toBe(sc.solution);
  });

  it('keep a fine type as fineType under its coarse type, and reject unknown types', () => {
    const sc = expertAdToScGrpo(anomalous, { typeLevel: 'fine' });
    expect(scGrpoToExpertAd(sc)).toMatchObject({ coarseType: 'Scratch', fineType: 'linear scratch' });
    expect(() => scGrpoToExpertAd({ ...sc, solution: '<location>top</location><type>dent</type><answer>Yes</answer>' })).toThrow(
      'record "plate-007", field type: "dent" is not one of the 8 coarse types or their synonyms',
    );
  });
});
