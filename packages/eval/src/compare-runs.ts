import { basename, join } from 'node:path';
import { DatasetError, readSettingsFile } from '@iad-r1/datasets';
import { type AnswerScoring, DEFAULT_SCORING, type ScoredAnswer, scoredAnswer } from './answer-scoring';
import type { AnswerRecord } from './answer-record';
import { readAnswers } from './answers-file';
import { type ConsistencyMetrics, categoryNames, consistencyMetrics } from './consistency';
import { type InterpretationMetrics, interpretationMetrics } from './interpretation';
import { type McNemarResult, mcnemar } from './mcnemar';
import { type EvaluationSummary, summarise } from './metrics';

/** One run folder (or several of one label and k, merged), read for a comparison. */
export interface ComparedRun {
  /** Its folder; merged runs join theirs with " + ". */
  dir: string;
  /** The row it belongs to: the label given, else the model id of its `run.json`. */
  label: string;
  shots: number;
  summary: EvaluationSummary;
  /** Its answers as the scoring rules read them. */
  answers: ScoredAnswer[];
  /** Its answers as written, for re-summarising merged runs. */
  records: AnswerRecord[];
  /** Pooled over all its answers. */
  interpretation: InterpretationMetrics;
  consistency: ConsistencyMetrics;
}

/** One dataset cell of the comparison table. */
export interface ComparisonCell {
  balancedAccuracy: number;
  /** Difference to the first row at the same k (absent on the first row, or when it lacks the dataset). */
  delta?: number;
  /** Paired test against the first row's run at the same k, on the images both answered. */
  mcnemar?: McNemarResult;
}

/** A row of the comparison: one label, with a run per k. */
export interface ComparisonRow {
  label: string;
  runs: Record<number, { dir: string; datasets: Record<string, ComparisonCell>; average: number; averageDelta?: number; interpretation: InterpretationMetrics; consistency: ConsistencyMetrics }>;
}

/** The paper's Table 4 layout: rows = runs, columns = datasets at each k, then averages. */
export interface RunComparisonTable {
  scoring: AnswerScoring;
  /** The shot counts present, ascending. */
  shots: number[];
  /** Datasets at each k, sorted. */
  datasets: Record<number, string[]>;
  rows: ComparisonRow[];
}

/**
 * Reads a run folder (`run.json`, `answers.jsonl`) under the given scoring rules.
 *
 * @example
 * const run = await readComparedRun('runs/qwen-0shot');
 */
export async function readComparedRun(dir: string, options: { label?: string; scoring?: AnswerScoring } = {}): Promise<ComparedRun> {
  const scoring = options.scoring ?? DEFAULT_SCORING;
  const config = await readSettingsFile(join(dir, 'run.json'));
  if (!config) throw new DatasetError(join(dir, 'run.json'), 'not found: compare reads run folders written by `iad-r1-eval run` or `iad-r1-eval import`');
  const shots = config.shots;
  if (typeof shots !== 'number') throw new DatasetError(join(dir, 'run.json'), `field "shots" must be a number, got ${JSON.stringify(shots)}`);
  const raw = await readAnswers(join(dir, 'answers.jsonl'));
  const answers = raw.map((a) => scoredAnswer(a, scoring));
  return {
    dir,
    label: options.label ?? (typeof config.model === 'string' ? config.model : basename(dir)),
    shots,
    summary: summarise(raw, scoring),
    answers,
    records: raw,
    interpretation: interpretationMetrics(answers),
    consistency: consistencyMetrics(answers, categoryNames(answers)),
  };
}

// Answers MMAD's scorer would count: with `drop`, unreadable answers are not images of the comparison.
const counted = (answers: readonly ScoredAnswer[], scoring: AnswerScoring): ScoredAnswer[] =>
  scoring.unparsed === 'drop' ? answers.filter((a) => a.answer !== null || a.invalidChoice) : [...answers];

/**
 * Runs of one label and k that cover different datasets (one `iad-r1-eval run` per benchmark) as
 * one run: answers together, the summary and the average over datasets recomputed. Two that share
 * a dataset are refused, naming both folders and the dataset.
 */
function mergeRuns(a: ComparedRun, b: ComparedRun, scoring: AnswerScoring): ComparedRun {
  const shared = Object.keys(a.summary.datasets).find((name) => name in b.summary.datasets);
  if (shared !== undefined) throw new RangeError(`${a.dir} and ${b.dir} are both "${a.label}" at ${a.shots}-shot and both hold ${shared}; give each run folder its own label (RUN_DIR=LABEL)`);
  const records = [...a.records, ...b.records];
  const answers = [...a.answers, ...b.answers];
  return { dir: `${a.dir} + ${b.dir}`, label: a.label, shots: a.shots, summary: summarise(records, scoring), answers, records, interpretation: interpretationMetrics(answers), consistency: consistencyMetrics(answers, categoryNames(answers)) };
}

/**
 * Lays runs out as the paper's Table 4: one row per label (runs of one label at different k share
 * it), columns = datasets at each k, then the average at each k; each cell's difference to the
 * first row at the same k and McNemar's exact test on the images both answered; interpretation
 * and consistency per run. Runs of one label and k on different datasets (one per benchmark) are
 * merged into one; two on the same dataset are refused.
 *
 * @example
 * const table = compareRuns([await readComparedRun('runs/base-0'), await readComparedRun('runs/iad-r1-0')]);
 * table.rows[1].runs[0].datasets.mvtec.mcnemar.p;
 */
export function compareRuns(runs: readonly ComparedRun[], scoring: AnswerScoring = DEFAULT_SCORING): RunComparisonTable {
  if (runs.length === 0) throw new RangeError('compare needs at least one run folder');
  const shots = [...new Set(runs.map((r) => r.shots))].sort((a, b) => a - b);
  const datasets: Record<number, string[]> = {};
  for (const k of shots) datasets[k] = [...new Set(runs.filter((r) => r.shots === k).flatMap((r) => Object.keys(r.summary.datasets)))].sort();
  const byLabel = new Map<string, Map<number, ComparedRun>>();
  for (const run of runs) {
    const row = byLabel.get(run.label) ?? new Map<number, ComparedRun>();
    const earlier = row.get(run.shots);
    row.set(run.shots, earlier ? mergeRuns(earlier, run, scoring) : run);
    byLabel.set(run.label, row);
  }
  const [firstLabel] = byLabel.keys();
  const first = byLabel.get(firstLabel as string) as Map<number, ComparedRun>;
  const rows: ComparisonRow[] = [...byLabel].map(([label, perK]) => ({
    label,
    runs: Object.fromEntries(
      [...perK].map(([k, run]) => {
        const baseline = label === firstLabel ? undefined : first.get(k);
        const cells: Record<string, ComparisonCell> = {};
        for (const [name, metrics] of Object.entries(run.summary.datasets)) {
          const cell: ComparisonCell = { balancedAccuracy: metrics.balancedAccuracy };
          const base = baseline?.summary.datasets[name];
          if (baseline && base) {
            cell.delta = metrics.balancedAccuracy - base.balancedAccuracy;
            const of = (r: ComparedRun) => counted(r.answers, scoring).filter((a) => a.dataset === name);
            cell.mcnemar = mcnemar(of(baseline), of(run));
          }
          cells[name] = cell;
        }
        const average = run.summary.average.balancedAccuracy;
        return [k, { dir: run.dir, datasets: cells, average, ...(baseline ? { averageDelta: average - baseline.summary.average.balancedAccuracy } : {}), interpretation: run.interpretation, consistency: run.consistency }];
      }),
    ),
  }));
  return { scoring, shots, datasets, rows };
}
