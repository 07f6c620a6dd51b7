import type { AnswerRecord } from './answer-record';
import { type AnswerScoring, DEFAULT_SCORING, type ScoredAnswer, scoredAnswer } from './answer-scoring';
import { type ConsistencyMetrics, categoryNames, consistencyMetrics } from './consistency';
import { type InterpretationMetrics, interpretationMetrics } from './interpretation';
import { percentOf } from './percent';

/** Detection metrics of a set of answers; rates are percentages. */
export interface DetectionMetrics {
  /** (TNR + TPR) / 2, in percent — the paper's metric. */
  balancedAccuracy: number;
  accuracy: number;
  /** Share of anomalous images answered yes. */
  tpr: number;
  /** Share of normal images answered no. */
  tnr: number;
  /** Images counted (dropped answers excluded). */
  n: number;
  normal: number;
  anomalous: number;
  /**
   * Answers with no readable yes/no: counted as wrong, or — with `unparsed: 'drop'` — left out of
   * every count above (except invalid choices such as the authors' `E`, always wrong).
   */
  unparsed: number;
}

/** Everything measured on one group of answers (a dataset, or a category of it). */
export interface GroupMetrics extends DetectionMetrics {
  interpretation: InterpretationMetrics;
  consistency: ConsistencyMetrics;
}

/** Metrics of one dataset, pooled over its categories, with a row per category. */
export interface DatasetMetrics extends GroupMetrics {
  categories: Record<string, GroupMetrics>;
}

/** What `summary.json` holds. */
export interface EvaluationSummary {
  datasets: Record<string, DatasetMetrics>;
  /** Mean over datasets (not pooled over images), as the paper reports it. */
  average: { balancedAccuracy: number; accuracy: number };
  /** How answers were read and what an unreadable one counts as. */
  scoring: AnswerScoring;
}

/**
 * Detection metrics of a set of answers. A class with no image contributes a rate of 0, as in
 * MMAD's scorer. An unreadable answer counts as wrong by default and is reported in `unparsed`;
 * `'drop'` leaves it out of the counts, as MMAD's scorer does.
 *
 * @example
 * detectionMetrics(answers).balancedAccuracy; // e.g. 83.8
 */
export function detectionMetrics(answers: readonly (Pick<AnswerRecord, 'label' | 'correct' | 'answer'> & { invalidChoice?: true })[], unparsedPolicy: AnswerScoring['unparsed'] = 'wrong'): DetectionMetrics {
  let normal = 0;
  let anomalous = 0;
  let trueNegative = 0;
  let truePositive = 0;
  let unparsed = 0;
  for (const a of answers) {
    if (a.answer === null) {
      unparsed++;
      if (unparsedPolicy === 'drop' && !a.invalidChoice) continue;
    }
    if (a.label === 'normal') {
      normal++;
      if (a.correct) trueNegative++;
    } else {
      anomalous++;
      if (a.correct) truePositive++;
    }
  }
  const tnr = percentOf(trueNegative, normal);
  const tpr = percentOf(truePositive, anomalous);
  const n = normal + anomalous;
  return { balancedAccuracy: (tnr + tpr) / 2, accuracy: percentOf(trueNegative + truePositive, n), tpr, tnr, n, normal, anomalous, unparsed };
}

// `categories`: every category of the run, so a think about another of its objects is seen.
function groupMetrics(answers: readonly ScoredAnswer[], scoring: AnswerScoring, categories: readonly string[]): GroupMetrics {
  return { ...detectionMetrics(answers, scoring.unparsed), interpretation: interpretationMetrics(answers), consistency: consistencyMetrics(answers, categories) };
}

/** Groups items by key in one pass, keeping their order within each group. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Per-dataset (pooled over categories) and per-category metrics — detection, interpretation and
 * consistency — and the detection average over datasets, under the given scoring rules.
 *
 * @example
 * const summary = summarise(answers);
 * summary.average.balancedAccuracy;
 * summarise(answers, { parsing: 'authors', unparsed: 'drop' }); // comparable with MMAD's scorer
 */
export function summarise(answers: readonly AnswerRecord[], scoring: AnswerScoring = DEFAULT_SCORING): EvaluationSummary {
  const scored = answers.map((a) => scoredAnswer(a, scoring));
  const byDataset = groupBy(scored, (a) => a.dataset);
  const names = categoryNames(scored);
  const datasets: Record<string, DatasetMetrics> = {};
  for (const [name, rows] of [...byDataset].sort(([a], [b]) => a.localeCompare(b))) {
    const byCategory = groupBy(rows, (a) => a.category);
    const categories = Object.fromEntries([...byCategory].sort(([a], [b]) => a.localeCompare(b)).map(([c, r]) => [c, groupMetrics(r, scoring, names)]));
    datasets[name] = { ...groupMetrics(rows, scoring, names), categories };
  }
  const values = Object.values(datasets);
  const mean = (f: (d: DatasetMetrics) => number): number => (values.length > 0 ? values.reduce((s, d) => s + f(d), 0) / values.length : 0);
  return { datasets, average: { balancedAccuracy: mean((d) => d.balancedAccuracy), accuracy: mean((d) => d.accuracy) }, scoring };
}
