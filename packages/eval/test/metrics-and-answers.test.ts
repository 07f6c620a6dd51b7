import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnomalyDataset, AnomalySample } from '@iad-r1/datasets';
import { describe, expect, it } from 'vitest';
import { type AnswerRecord, AnswersFileError, MissingReferenceError, chooseReference, detectionMetrics, extractAnswer, readAnswers, summarise } from '../src/index';

describe('extractAnswer (docs/METHOD.md §6)', () => {
  it.each([
    ['<think>a</think><location>x</location><type>t</type><answer>Yes</answer>', 'tagged', 'yes'],
    ['<answer> no. </answer>', 'tagged', 'no'],
    ['<answer>A</answer>', 'tagged', 'yes'],
    ['Yes', 'tagged', undefined], // a tagged model without the tag is unparsed
    ['<answer>maybe</answer>', 'tagged', undefined],
    ['Yes, there is a scratch.', 'free', 'yes'],
    ['No.', 'free', 'no'],
    ['B', 'free', 'no'],
    ['(A)', 'free', 'yes'],
    ['Answer: no', 'free', 'no'],
    ['A crack runs across the part, so yes.', 'free', 'yes'],
    ['The image shows no defect.', 'free', 'no'],
    ['Yes and no.', 'free', 'yes'],
    ['It is hard to say whether yes or no', 'free', undefined],
    ['<think>yes?</think> No', 'free', 'no'],
    ['', 'free', undefined],
  ] as const)('%j (%s) → %s', (text, style, expected) => {
    expect(extractAnswer(text, style)).toBe(expected);
  });
});

const answer = (dataset: string, category: string, label: 'normal' | 'anomalous', given: 'yes' | 'no' | null): AnswerRecord => ({
  key: `${dataset}::${category}/${Math.random()}`,
  dataset,
  category,
  image: 'x.png',
  label,
  references: [],
  response: String(given),
  answer: given,
  correct: given !== null && (given === 'yes') === (label === 'anomalous'),
});

describe('metrics', () => {
  it('computes balanced accuracy by hand: (TNR + TPR) / 2, unparsed counted wrong', () => {
    // 3 normal: 2 right (no, no), 1 wrong (yes). 5 anomalous: 3 right, 1 wrong (no), 1 unparsed.
    const rows = [
      answer('d', 'c', 'normal', 'no'),
      answer('d', 'c', 'normal', 'no'),
      answer('d', 'c', 'normal', 'yes'),
      answer('d', 'c', 'anomalous', 'yes'),
      answer('d', 'c', 'anomalous', 'yes'),
      answer('d', 'c', 'anomalous', 'yes'),
      answer('d', 'c', 'anomalous', 'no'),
      answer('d', 'c', 'anomalous', null),
    ];
    const m = detectionMetrics(rows);
    expect(m.tnr).toBeCloseTo((2 / 3) * 100, 10);
    expect(m.tpr).toBeCloseTo((3 / 5) * 100, 10);
    expect(m.balancedAccuracy).toBeCloseTo(((2 / 3 + 3 / 5) / 2) * 100, 10);
    expect(m.accuracy).toBeCloseTo((5 / 8) * 100, 10);
    expect([m.n, m.normal, m.anomalous, m.unparsed]).toEqual([8, 3, 5, 1]);
  });

  it('scores an absent class as 0, as MMAD does', () => {
    expect(detectionMetrics([answer('d', 'c', 'anomalous', 'yes')]).balancedAccuracy).toBe(50);
  });

  it('pools categories per dataset and averages datasets (not images)', () => {
    const rows = [
      // dataset A: category a1 perfect (1 normal, 1 anomalous), a2 all wrong (1 normal, 1 anomalous) → pooled 50
      answer('A', 'a1', 'normal', 'no'),
      answer('A', 'a1', 'anomalous', 'yes'),
      answer('A', 'a2', 'normal', 'yes'),
      answer('A', 'a2', 'anomalous', 'no'),
      // dataset B: 1 normal right → TNR 100, TPR 0 (no anomalous) → 50; plus 2 anomalous right → TPR 100 → 100
      answer('B', 'b', 'normal', 'no'),
      answer('B', 'b', 'anomalous', 'yes'),
      answer('B', 'b', 'anomalous', 'yes'),
    ];
    const summary = summarise(rows);
    expect(summary.datasets.A?.categories.a1?.balancedAccuracy).toBe(100);
    expect(summary.datasets.A?.categories.a2?.balancedAccuracy).toBe(0);
    expect(summary.datasets.A?.balancedAccuracy).toBe(50);
    expect(summary.datasets.B?.balancedAccuracy).toBe(100);
    expect(summary.average.balancedAccuracy).toBe(75);
    expect(summary.average.accuracy).toBe((50 + 100) / 2);
  });
});

describe('chooseReference', () => {
  const sample = (id: string, extra: Partial<AnomalySample> = {}): AnomalySample => ({ id, dataset: 'd', category: 'c', label: 'normal', imagePath: `/r/${id}.png`, split: 'test', ...extra });
  const dataset: AnomalyDataset = { name: 'd', root: '/r', samples: [], normalReferences: { c: ['/r/t0.png', '/r/t1.png', '/r/t2.png'] }, skipped: [] };

  it('takes the manifest template first, else a seeded pick from the category, never the query', () => {
    expect(chooseReference(sample('q', { references: ['/r/tpl.png'] }), dataset, 0)).toBe('/r/tpl.png');
    const picks = Array.from({ length: 30 }, (_, i) => chooseReference(sample(`q${i}`), dataset, 0));
    expect(new Set(picks).size).toBeGreaterThan(1);
    expect(picks).toEqual(Array.from({ length: 30 }, (_, i) => chooseReference(sample(`q${i}`), dataset, 0)));
    expect(chooseReference(sample('t0', { imagePath: '/r/t0.png' }), { ...dataset, normalReferences: { c: ['/r/t0.png', '/r/t1.png'] } }, 0)).toBe('/r/t1.png');
  });

  it('says clearly when there is no reference', () => {
    expect(() => chooseReference(sample('q', { references: [] }), dataset, 0)).toThrow(MissingReferenceError);
    expect(() => chooseReference(sample('q', { references: [] }), dataset, 0)).toThrow(/template list is empty/);
    expect(() => chooseReference(sample('q', { category: 'z' }), dataset, 0)).toThrow(/category "z" of d has none/);
  });
});

describe('answers.jsonl', () => {
  const record = (key: string): AnswerRecord => ({ key, dataset: 'd', category: 'c', image: 'x', label: 'normal', references: [], response: 'no', answer: 'no', correct: true });

  it('drops a line cut off by a crash and truncates the file so appends continue cleanly', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-')), 'answers.jsonl');
    writeFileSync(file, `${JSON.stringify(record('a'))}\n${JSON.stringify(record('b'))}\n{"key":"c","data`);
    const log: string[] = [];
    expect((await readAnswers(file, (l) => log.push(l))).map((r) => r.key)).toEqual(['a', 'b']);
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(record('a'))}\n${JSON.stringify(record('b'))}\n`);
    expect(log[0]).toMatch(/answers\.jsonl:3: dropped a line cut off/);
  });

  it('names a bad line in the middle, and keeps the first of a repeated key', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-')), 'answers.jsonl');
    writeFileSync(file, `${JSON.stringify(record('a'))}\n{"key": 1}\n${JSON.stringify(record('b'))}\n`);
    await expect(readAnswers(file)).rejects.toThrow(AnswersFileError);
    await expect(readAnswers(file)).rejects.toThrow(/answers\.jsonl:2: field key/);
    writeFileSync(file, `${JSON.stringify(record('a'))}\n${JSON.stringify({ ...record('a'), response: 'second' })}\n`);
    expect((await readAnswers(file)).map((r) => r.response)).toEqual(['no']);
  });
});
