import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type AnswerRecord,
  authorsAnswer,
  compareRuns,
  comparisonMarkdown,
  extractAnswer,
  importPublishedAnswers,
  mcnemar,
  mcnemarExactP,
  readComparedRun,
  summarise,
} from '../src/index';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

function answer(key: string, label: 'normal' | 'anomalous', response: string, dataset = 'd'): AnswerRecord {
  const parsed = extractAnswer(response, 'tagged') ?? null;
  return { key, dataset, category: 'c', image: `/${key}.png`, label, references: [], response, answer: parsed, correct: parsed !== null && (parsed === 'yes') === (label === 'anomalous') };
}

describe("the authors' parsing", () => {
  it('reads the first one-line <answer>, exact then substring against the options', () => {
    expect(authorsAnswer('<answer>Yes</answer>')).toBe('yes');
    expect(authorsAnswer('<answer> No. </answer>')).toBe('no'); // read as "no.": not equal to "no", but contains it
    expect(authorsAnswer('<answer>yes, a scratch</answer>')).toBe('yes');
    expect(authorsAnswer('<answer>\nno\n</answer>')).toBeUndefined(); // crosses a line break
    expect(authorsAnswer('<answer>A</answer>')).toBeUndefined(); // a letter is no option text
    expect(authorsAnswer('<answer></answer>')).toBe('yes'); // "" is a substring of "yes", the first option
    expect(authorsAnswer('<answer>not sure</answer>')).toBe('no'); // contains "no"
    expect(authorsAnswer('No.')).toBeUndefined(); // no tag
  });

  it('differs from ours where documented', () => {
    // Ours reads across lines and takes only yes/no/A/B; theirs reads one line and matches substrings.
    expect(extractAnswer('<answer>\nno\n</answer>', 'tagged')).toBe('no');
    expect(extractAnswer('<answer>not sure</answer>', 'tagged')).toBeUndefined();
    expect(extractAnswer('<answer>A</answer>', 'tagged')).toBe('yes');
  });

  it('changes the counts as computed by hand, and drop leaves unreadable answers out', () => {
    const answers = [
      answer('n1', 'normal', '<think>t</think><answer>no</answer>'), // right in both
      answer('n2', 'normal', 'I think it is fine.'), // unreadable in both
      answer('a1', 'anomalous', '<answer>yes</answer>'), // right in both
      answer('a2', 'anomalous', '<answer>\nyes\n</answer>'), // ours: right; authors: their E
    ];
    // Ours, wrong: TNR 1/2, TPR 2/2 → 75.
    const ours = summarise(answers).datasets.d;
    expect(ours).toMatchObject({ n: 4, unparsed: 1 });
    expect(ours?.balancedAccuracy).toBeCloseTo(75, 12);
    // Ours, drop: n2 left out: TNR 1/1, TPR 2/2 → 100.
    const dropped = summarise(answers, { parsing: 'iad-r1', unparsed: 'drop' }).datasets.d;
    expect(dropped).toMatchObject({ n: 3, normal: 1, unparsed: 1 });
    expect(dropped?.balancedAccuracy).toBeCloseTo(100, 12);
    // Authors: n2 and a2 are their E — wrong, and never dropped: TNR 1/2, TPR 1/2 → 50, either policy.
    for (const unparsed of ['wrong', 'drop'] as const) {
      const authors = summarise(answers, { parsing: 'authors', unparsed }).datasets.d;
      expect(authors).toMatchObject({ n: 4, unparsed: 2 });
      expect(authors?.balancedAccuracy).toBeCloseTo(50, 12);
    }
  });
});

describe('importing published answers', () => {
  const options = { A: 'Yes.', B: 'No.' };
  const entry = (image: string, correct: string, gpt: string, type = 'Anomaly Detection') => ({ image, question: { type, text: 'Is there any defect in the object?', options }, question_type: type, correct_answer: correct, gpt_answer: gpt });
  const entries = [
    entry('DS-MVTec/bottle/image/good/000.png', 'B', 'B'), // normal, right
    entry('DS-MVTec/bottle/image/good/001.png', 'B', 'A'), // normal, wrong
    entry('DS-MVTec/bottle/image/broken/000.png', 'A', 'A'), // anomalous, right
    entry('DS-MVTec/bottle/image/broken/001.png', 'A', 'E'), // their "no option matched": wrong, kept
    entry('DS-MVTec/bottle/image/broken/002.png', 'A', 'The bottle looks fine'), // not a letter: MMAD's scorer drops it
    entry('DS-MVTec/bottle/image/broken/000.png', 'A', 'A', 'Defect Type'), // another question type
    entry('VisA/candle/Data/Images/Normal/000.JPG', 'B', 'B'), // normal, right
    entry('VisA/candle/Data/Images/Anomaly/000.JPG', 'A', 'A'), // anomalous, right
  ];

  it('scores them the way their scorer does, counts by hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-import-'));
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify(entries));
    const { answers, otherQuestions } = await importPublishedAnswers(file);
    expect(otherQuestions).toBe(1);
    expect(answers.map((a) => [a.dataset, a.category, a.label])).toEqual([
      ['DS-MVTec', 'bottle', 'normal'],
      ['DS-MVTec', 'bottle', 'normal'],
      ['DS-MVTec', 'bottle', 'anomalous'],
      ['DS-MVTec', 'bottle', 'anomalous'],
      ['DS-MVTec', 'bottle', 'anomalous'],
      ['VisA', 'candle', 'normal'],
      ['VisA', 'candle', 'anomalous'],
    ]);
    // Authors' way: E kept as wrong, the non-letter dropped. MVTec: TNR 1/2, TPR 1/2 → 50; VisA: 100; average 75.
    const theirs = summarise(answers, { parsing: 'authors', unparsed: 'drop' });
    expect(theirs.datasets['DS-MVTec']).toMatchObject({ n: 4, normal: 2, anomalous: 2, unparsed: 2 });
    expect(theirs.datasets['DS-MVTec']?.balancedAccuracy).toBeCloseTo(50, 12);
    expect(theirs.datasets.VisA?.balancedAccuracy).toBeCloseTo(100, 12);
    expect(theirs.average.balancedAccuracy).toBeCloseTo(75, 12);
    // Counting the non-letter as wrong too: MVTec TPR 1/3 → (50 + 33.3…) / 2.
    const strict = summarise(answers, { parsing: 'authors', unparsed: 'wrong' });
    expect(strict.datasets['DS-MVTec']?.balancedAccuracy).toBeCloseTo((50 + 100 / 3) / 2, 12);
  });

  it('imports and rescores from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-import-cli-'));
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify(entries));
    const out = join(dir, 'run');
    const imported = await run('node', [cli, 'import', '--answers', file, '--model', 'authors', '--out', out, '--parsing', 'authors', '--unparsed', 'drop']);
    // The E stays a wrong answer; only the sentence MMAD's scorer cannot read is dropped.
    expect(imported.stdout).toContain('7 anomaly-detection answers imported (1 other questions left out; 2 unreadable: 1 dropped, 1 counted wrong)');
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).average.balancedAccuracy).toBeCloseTo(75, 9);
    // Our parsing, unreadable as wrong: E and the sentence are both unreadable; MVTec (50 + 33.3…) / 2, VisA 100.
    const ours = await run('node', [cli, 'score', '--answers', join(out, 'answers.jsonl'), '--out', join(dir, 'ours')]);
    expect(JSON.parse(ours.stdout).balancedAccuracy).toBeCloseTo(((50 + 100 / 3) / 2 + 100) / 2, 9);
    const theirs = await run('node', [cli, 'score', '--answers', join(out, 'answers.jsonl'), '--out', join(dir, 'theirs'), '--parsing', 'authors', '--unparsed', 'drop']);
    expect(JSON.parse(theirs.stdout).balancedAccuracy).toBeCloseTo(75, 9);
    expect(readFileSync(join(dir, 'theirs', 'report.md'), 'utf8')).toContain('answers read with `authors` parsing, an unreadable answer dropped from the counts');
  }, 30_000);

  it('names the entry and field of a bad record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-import-'));
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify([entries[0], { ...entries[1], correct_answer: 'C' }]));
    await expect(importPublishedAnswers(file)).rejects.toThrow(/answers\.json \[1\].*correct_answer "C" is not one of the options A, B/);
    writeFileSync(file, JSON.stringify([{ ...entries[0], gpt_answer: 3 }]));
    await expect(importPublishedAnswers(file)).rejects.toThrow(/\[0\].*gpt_answer/);
    writeFileSync(file, '{"image": ');
    await expect(importPublishedAnswers(file)).rejects.toThrow(/not valid JSON/);
  });
});

// Exact binomial tail with BigInt: an independent check of the log-space sum.
function exactP(b: number, c: number): number {
  const n = BigInt(b + c);
  let term = 1n;
  let tail = 1n;
  for (let i = 0n; i < BigInt(Math.min(b, c)); i++) {
    term = (term * (n - i)) / (i + 1n);
    tail += term;
  }
  const scale = 10n ** 30n;
  return Math.min(1, (2 * Number((tail * scale) / 2n ** n)) / 1e30);
}

describe("McNemar's exact test", () => {
  it('matches worked examples', () => {
    expect(mcnemarExactP(1, 6)).toBeCloseTo(0.125, 15); // 2 · (C(7,0) + C(7,1)) / 2^7
    expect(mcnemarExactP(0, 10)).toBeCloseTo(2 / 1024, 15);
    expect(mcnemarExactP(3, 3)).toBe(1); // 2 · 42/64 > 1
    expect(mcnemarExactP(0, 0)).toBe(1);
    expect(mcnemarExactP(6, 1)).toBe(mcnemarExactP(1, 6));
  });

  it('stays exact at large counts', () => {
    for (const [b, c] of [
      [1000, 1100],
      [40, 70],
      [321, 300],
    ] as const) {
      expect(Math.abs(mcnemarExactP(b, c) - exactP(b, c)) / exactP(b, c)).toBeLessThan(1e-9);
    }
  });

  it('pairs answers by key', () => {
    const first = [true, true, false, false, false, true].map((correct, i) => ({ key: `k${i}`, correct }));
    const second = [true, false, true, true, true, true, false].map((correct, i) => ({ key: `k${i}`, correct })); // k6 has no pair
    const result = mcnemar(first, second);
    expect(result).toMatchObject({ pairs: 6, onlyFirst: 1, onlySecond: 3 });
    expect(result.p).toBeCloseTo((2 * (1 + 4)) / 16, 14);
  });
});

function writeRun(dir: string, model: string, shots: number, answers: AnswerRecord[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ model, shots, prompt: 'iad-r1' }));
  writeFileSync(join(dir, 'answers.jsonl'), answers.map((a) => `${JSON.stringify(a)}\n`).join(''));
  return dir;
}

// Six images: three normal, three anomalous. Correct answers say the truth; wrong ones the opposite.
const labels = ['normal', 'normal', 'normal', 'anomalous', 'anomalous', 'anomalous'] as const;
function answers(correct: readonly boolean[], dataset = 'd'): AnswerRecord[] {
  return correct.map((right, i) => {
    const label = labels[i] as 'normal' | 'anomalous';
    const yes = (label === 'anomalous') === right;
    return answer(`${dataset}::k${i}`, label, yes ? '<think>A hole in the centre.</think><location>centre</location><type>hole</type><answer>yes</answer>' : '<think>No defects.</think><answer>no</answer>', dataset);
  });
}

describe('comparing runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'iad-r1-compare-'));
  // Base: normal [T T F] → TNR 66.7, anomalous [F F T] → TPR 33.3 → 50.
  const base = writeRun(join(root, 'base-0'), 'base', 0, answers([true, true, false, false, false, true]));
  // Trained: normal [T F T] → 66.7, anomalous [T T T] → 100 → 83.3. Discordant: k1 (base only), k2, k3, k4 (trained only).
  const trained = writeRun(join(root, 'trained-0'), 'trained', 0, answers([true, false, true, true, true, true]));
  const trained1 = writeRun(join(root, 'trained-1'), 'trained', 1, answers([true, true, true, true, true, true]));

  it("lays runs out as the paper's Table 4, with differences and McNemar p-values", async () => {
    const table = compareRuns([await readComparedRun(base), await readComparedRun(trained), await readComparedRun(trained1)]);
    expect(table.shots).toEqual([0, 1]);
    expect(table.rows.map((r) => r.label)).toEqual(['base', 'trained']);
    const cell = table.rows[1]?.runs[0]?.datasets.d;
    expect(cell?.balancedAccuracy).toBeCloseTo((200 / 3 + 100) / 2, 12);
    expect(cell?.delta).toBeCloseTo((200 / 3 + 100) / 2 - 50, 12);
    expect(cell?.mcnemar).toMatchObject({ pairs: 6, onlyFirst: 1, onlySecond: 3 });
    expect(cell?.mcnemar?.p).toBeCloseTo(0.625, 14);
    // The base has no 1-shot run: no difference there.
    expect(table.rows[1]?.runs[1]?.datasets.d?.delta).toBeUndefined();
    expect(table.rows[0]?.runs[1]).toBeUndefined();
    // Interpretation per run: trained 0-shot said yes to all three anomalies, "centre" = cell 5; no truth recorded → 0 located.
    expect(table.rows[1]?.runs[0]?.consistency).toMatchObject({ tagged: 6, structureFits: 6, thinkChecked: 6, thinkAgrees: 6 });
    const markdown = comparisonMarkdown(table);
    expect(markdown).toContain('| Model | d (0-shot) | Average (0-shot) | d (1-shot) | Average (1-shot) |');
    expect(markdown).toContain('| base | 50.0 | 50.0 | – | – |');
    expect(markdown).toContain('| trained | +33.3 (p 0.625) | +33.3 | – | – |');
  });

  it('refuses two runs of one label at the same k on the same dataset', async () => {
    const again = writeRun(join(root, 'trained-0-again'), 'trained', 0, answers([true, true, true, true, true, true]));
    await expect(async () => compareRuns([await readComparedRun(trained), await readComparedRun(again)])).rejects.toThrow(/both "trained" at 0-shot and both hold d; give each run folder its own label/);
  });

  it('merges runs of one label and k on different datasets into one row (one run per benchmark)', async () => {
    // Dataset e: normal [T T T] → 100, anomalous [F F T] → 33.3 → 66.7; d as trained-0 → 83.3; average (83.3 + 66.7) / 2 = 75.
    const other = writeRun(join(root, 'trained-0-e'), 'trained', 0, answers([true, true, true, false, false, true], 'e'));
    const table = compareRuns([await readComparedRun(trained), await readComparedRun(other)]);
    expect(table.rows).toHaveLength(1);
    expect(table.datasets[0]).toEqual(['d', 'e']);
    const row = table.rows[0]?.runs[0];
    expect(row?.dir).toBe(`${trained} + ${other}`);
    expect(row?.datasets.d?.balancedAccuracy).toBeCloseTo((200 / 3 + 100) / 2, 12);
    expect(row?.datasets.e?.balancedAccuracy).toBeCloseTo((100 + 100 / 3) / 2, 12);
    expect(row?.average).toBeCloseTo(75, 12);
    expect(row?.consistency.tagged).toBe(12);
  });

  it('runs from the CLI with labels, writing json, md and html', async () => {
    const out = join(root, 'compare');
    const { stdout } = await run('node', [cli, 'compare', `${base}=Base`, `${trained}=IAD-R1`, `${trained1}=IAD-R1`, '--out', out]);
    expect(stdout).toContain('| IAD-R1 | +33.3 (p 0.625) | +33.3 | – | – |');
    const saved = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(saved.rows[1].runs['0'].datasets.d.mcnemar.p).toBeCloseTo(0.625, 14);
    const html = readFileSync(join(out, 'comparison.html'), 'utf8');
    expect(html).toContain('Balanced accuracy (%), 0-shot');
    expect(html.match(/<rect /g)?.length).toBeGreaterThanOrEqual(4 + 2); // bars per k and legend
  }, 30_000);
});
