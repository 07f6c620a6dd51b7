import { describe, expect, it } from 'vitest';
import {
  RecordValidationError,
  expertAdRecordSchema,
  mmadEntryLabel,
  mmadEntrySchema,
  paSftRecordSchema,
  parseRecords,
  scGrpoRecordSchema,
  toJsonl,
} from './index';

const normal = { id: 'n1', queryImage: 'a.png', label: 'normal', source: { dataset: 'synthetic', category: 'plate' } };

describe('expertAdRecordSchema', () => {
  it('defaults the review status to pending', () => {
    expect(expertAdRecordSchema.parse(normal).review).toEqual({ status: 'pending' });
  });

  it('requires location and type on anomalous records and forbids them on normal ones', () => {
    const anomalous = expertAdRecordSchema.safeParse({ ...normal, label: 'anomalous' });
    expect(anomalous.success).toBe(false);
    expect(anomalous.error?.issues.map((i) => i.path.join('.'))).toEqual(['location', 'coarseType']);
    const normalWithType = expertAdRecordSchema.safeParse({ ...normal, coarseType: 'Hole' });
    expect(normalWithType.error?.issues[0]?.message).toBe('a normal record has no defect type');
    expect(expertAdRecordSchema.safeParse({ ...normal, coarseType: 'Dent' }).success).toBe(false);
  });
});

describe('paSftRecordSchema', () => {
  it('checks image markers against the image count', () => {
    const record = {
      images: ['r.png', 'q.png'],
      messages: [
        { role: 'user', content: '<image>\nAre there any defects in the query image?' },
        { role: 'assistant', content: '<answer>No</answer>' },
      ],
    };
    const result = paSftRecordSchema.safeParse(record);
    expect(result.error?.issues[0]?.message).toBe('user turns carry 1 <image> marker(s) but the record has 2 image(s)');
  });
});

describe('parseRecords', () => {
  const good = { id: 1, image: 'q.png', problem: 'Are there any defects in the query image?', solution: '<answer>No</answer>' };

  it('reads JSONL and JSON arrays', () => {
    const jsonl = toJsonl([good, { ...good, id: 2 }]);
    expect(parseRecords(jsonl, scGrpoRecordSchema, { file: 'train.jsonl' })).toHaveLength(2);
    expect(parseRecords(JSON.stringify([good]), scGrpoRecordSchema, { file: 'train.json' })).toEqual([good]);
    expect(parseRecords(`\n${JSON.stringify(good)}\n\n`, scGrpoRecordSchema)).toEqual([good]);
  });

  it('names the file, record index, line and field path of every bad record', () => {
    const lines = [
      JSON.stringify(good),
      JSON.stringify({ ...good, solution: 'yes' }),
      '{not json',
      JSON.stringify({ ...good, image: 7 }),
    ].join('\n');
    let error: RecordValidationError | undefined;
    try {
      parseRecords(lines, scGrpoRecordSchema, { file: 'data/sc-grpo.jsonl' });
    } catch (e) {
      error = e as RecordValidationError;
    }
    expect(error).toBeInstanceOf(RecordValidationError);
    expect(error?.file).toBe('data/sc-grpo.jsonl');
    expect(error?.invalidCount).toBe(3);
    expect(error?.issues.map((i) => [i.index, i.line, i.path])).toEqual([
      [1, 2, 'solution'],
      [2, 3, ''],
      [3, 4, 'image'],
    ]);
    expect(error?.message).toMatch(/^data\/sc-grpo\.jsonl: 3 invalid record\(s\)/);
    expect(error?.message).toContain('record 1 (line 2), field solution: solution must contain <answer>');
  });

  it('lists at most maxErrors issues but counts every bad record', () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ ...good, id: i, problem: '' })).join('\n');
    try {
      parseRecords(lines, scGrpoRecordSchema, { file: 'x.jsonl', maxErrors: 5 });
      expect.unreachable();
    } catch (e) {
      const error = e as RecordValidationError;
      expect(error.issues).toHaveLength(5);
      expect(error.invalidCount).toBe(50);
      expect(error.message).toContain('50 invalid records in all');
    }
  });

  it('reports a JSON file that is not an array, or not JSON', () => {
    expect(() => parseRecords('{"a":1}', scGrpoRecordSchema, { file: 'x.json' })).toThrow(/x\.json.*\n.*expected a JSON array/);
    expect(() => parseRecords('[1,', scGrpoRecordSchema, { file: 'x.json' })).toThrow(/malformed JSON/);
  });
});

describe('MMAD manifest entries', () => {
  const entry = (answer: string, options = { A: 'Yes.', B: 'No.' }) =>
    mmadEntrySchema.parse({
      image_path: 'DS-MVTec/bottle/image/broken_large/000.png',
      conversation: [
        { Question: 'Is there any defect in the object?', Answer: answer, Options: options, type: 'Anomaly Detection' },
        { Question: 'What kind?', Answer: 'C', Options: { A: 'x', B: 'y', C: 'z' }, type: 'Defect Classification' },
      ],
      similar_templates: ['DS-MVTec/bottle/image/good/001.png'],
    });

  it('reads the label from the Anomaly Detection answer letter', () => {
    expect(mmadEntryLabel(entry('A'))).toBe('anomalous');
    expect(mmadEntryLabel(entry('B'))).toBe('normal');
    expect(mmadEntryLabel(entry('A', { A: 'No', B: 'Yes' }))).toBe('normal');
    expect(mmadEntryLabel(entry('C'))).toBeUndefined();
    expect(entry('A').random_templates).toEqual([]);
  });
});
