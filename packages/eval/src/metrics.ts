import type { AnswerRecord } from './answer-record';

/** Detection metrics of a set of answers; rates are percentages. */
export interface DetectionMetrics {
  /** (TNR + TPR) / 2, in percent — the paper's metric. */
  balancedAccuracy: number;
  accuracy: number;
  /** Share of anomalous images answered yes. */
  tpr: number;
  /** Share of normal images answered no. */
  tnr: number;
  n: number;
  normal: number;
  anomalous: number;
  /** Answers with no readable yes/no; each counts as wrong. */
  unparsed: number;
}

/** Metrics of one dataset, pooled over its categories, with a row per category. */
export interface DatasetMetrics extends DetectionMetrics {
  categories: Record<string, DetectionMetrics>;
}

/** What `summary.json` holds. */
export interface EvaluationSummary {
  datasets: Record<string, DatasetMetrics>;
  /** Mean over datasets (not pooled over images), as the paper reports it. */
  average: { balancedAccuracy: number; accuracy: number };
}

/**
 * Detection metrics of a set of answers. A class with no image contributes a rate of 0, as in
 * MMAD's scorer; unlike MMAD (which drops unreadable answers), an unreadable answer counts as
 * wrong and is reported in `unparsed`.
 *
 * @example
 * detectionMetrics(answers).balancedAccuracy; // e.g. 83.8
 */
export function detectionMetrics(answers: readonly Pick<AnswerRecord, 'label' | 'correct' | 'answer'>[]): DetectionMetrics {
  let normal = 0;
  let anomalous = 0;
  let trueNegative = 0;
  let truePositive = 0;
  let unparsed = 0;
  for (const a of answers) {
    if (a.answer === null) unparsed++;
    if (a.label === 'normal') {
      normal++;
      if (a.correct) trueNegative++;
    } else {
      anomalous++;
      if (a.correct) truePositive++;
    }
  }
  const tnr = normal > 0 ? (trueNegative / normal) * 100 : 0;
  const tpr = anomalous > 0 ? (truePositive / anomalous) * 100 : 0;
  const n = normal + anomalous;
  return {
    balancedAccuracy: (tnr + tpr) / 2,
    accuracy: n > 0 ? ((trueNegative + truePositive) / n) * 100 : 0,
    tpr,
    tnr,
    n,
    normal,
    anomalous,
    unparsed,
  };
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
 * Per-dataset (pooled over categories) and per-category metrics, and their average over datasets.
 *
 * @example
 * const summary = summarise(answers);
 * summary.average.balancedAccuracy;
 */
export function summarise(answers: readonly AnswerRecord[]): EvaluationSummary {
  const byDataset = groupBy(answers, (a) => a.dataset);
  const datasets: Record<string, DatasetMetrics> = {};
  for (const [name, rows] of [...byDataset].sort(([a], [b]) => a.localeCompare(b))) {
    const byCategory = groupBy(rows, (a) => a.category);
    const categories = Object.fromEntries([...byCategory].sort(([a], [b]) => a.localeCompare(b)).map(([c, r]) => [c, detectionMetrics(r)]));
    datasets[name] = { ...detectionMetrics(rows), categories };
  }
  const values = Object.values(datasets);
  const mean = (f: (d: DatasetMetrics) => number): number => (values.length > 0 ? values.reduce((s, d) => s + f(d), 0) / values.length : 0);
  return { datasets, average: { balancedAccuracy: mean((d) => d.balancedAccuracy), accuracy: mean((d) => d.accuracy) } };
}
