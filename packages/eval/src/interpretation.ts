import { type AnomalySample, coarseTypeOfDefect, loadMask } from '@iad-r1/datasets';
import { locationToCell, maskToCells } from '@iad-r1/grid';
import { tagValue, typeReward } from '@iad-r1/rewards';
import type { AnswerRecord, InterpretationTruth } from './answer-record';
import { percentOf } from './percent';

// Defect names that say only "something is wrong" (DAGM, KolektorSDD, MVTec's `combined`): there is
// no type to score a `<type>` answer against.
const UNTYPED_DEFECTS = new Set(['defect', 'defects', 'combined', 'bad', 'ng', 'anomaly', 'anomalous', 'abnormal']);

/** A `<type>` score at or above this counts as naming the defect (the type reward's containment level). */
export const TYPE_HIT_THRESHOLD = 0.85;

/**
 * The ground-truth defect type of a dataset's defect name: its coarse type when it has one
 * (`AK` → Hole, `scratch` → Scratch), else the name with `_` and `-` read as spaces
 * (`broken_large` → "broken large", which the type reward's matcher reads on its own); undefined
 * for names that carry no type.
 *
 * @example
 * defectTypeTruth('foreign_object'); // 'Presence of foreign objects'
 * defectTypeTruth('combined'); // undefined
 */
export function defectTypeTruth(defect: string | undefined): string | undefined {
  if (defect === undefined || UNTYPED_DEFECTS.has(defect.trim().toLowerCase())) return undefined;
  return coarseTypeOfDefect(defect) ?? defect.replace(/[_-]+/g, ' ').trim();
}

/**
 * What an anomalous sample's `<location>` and `<type>` are scored against: the cells its mask
 * covers and its dominant cell on the N×N grid, and its defect type. Undefined for normal images
 * and for anomalies with neither a mask nor a typed defect name.
 *
 * @example
 * await interpretationTruth(sample, 3); // { gridSize: 3, cells: [1, 2], cell: 1, type: 'Scratch' }
 */
export async function interpretationTruth(sample: AnomalySample, gridSize: number): Promise<InterpretationTruth | undefined> {
  if (sample.label !== 'anomalous') return undefined;
  const type = defectTypeTruth(sample.defect);
  let cells: number[] = [];
  let cell: number | null = null;
  if (sample.maskPath) {
    const placement = maskToCells(await loadMask(sample.maskPath), { gridSize });
    cells = placement.cells;
    cell = placement.centroidCell;
  }
  if (cell === null && type === undefined) return undefined;
  return { gridSize, cells, cell, ...(type !== undefined ? { type } : {}) };
}

/** How one answer's interpretation scored; fields are absent where there was nothing to score. */
export interface InterpretationJudgement {
  /** The cell its `<location>` text maps to; null when it gave no `<location>` tag (a miss). */
  predictedCell?: number | null;
  dominantHit?: boolean;
  anyHit?: boolean;
  /** The type reward's score of its `<type>` against the truth (0 without a `<type>` tag). */
  typeScore?: number;
}

/**
 * Scores the interpretation of one answer — only an anomalous image answered yes, with a truth:
 * the `<location>` text mapped to the grid (`@iad-r1/grid`'s `locationToCell`) against the
 * dominant cell and against every covered cell, and the `<type>` by the type reward's matcher.
 * Undefined for any other answer.
 *
 * @example
 * judgeInterpretation({ ...record, response: '…<location>top left</location><type>scratch</type><answer>yes</answer>' });
 * // { predictedCell: 1, dominantHit: true, anyHit: true, typeScore: 1 }
 */
export function judgeInterpretation(record: Pick<AnswerRecord, 'label' | 'answer' | 'response' | 'truth'>): InterpretationJudgement | undefined {
  const truth = record.truth;
  if (record.label !== 'anomalous' || record.answer !== 'yes' || !truth) return undefined;
  const judgement: InterpretationJudgement = {};
  if (truth.cell !== null) {
    const location = tagValue(record.response, 'location');
    const predicted = location === undefined ? null : locationToCell(location, { gridSize: truth.gridSize });
    judgement.predictedCell = predicted;
    judgement.dominantHit = predicted === truth.cell;
    judgement.anyHit = predicted !== null && truth.cells.includes(predicted);
  }
  if (truth.type !== undefined) {
    const type = tagValue(record.response, 'type');
    judgement.typeScore = type === undefined ? 0 : typeReward(type, truth.type);
  }
  return judgement;
}

/** Interpretation metrics of a set of answers; rates are percentages of their own counts. */
export interface InterpretationMetrics {
  /** Anomalous images answered yes whose mask gives a location. */
  located: number;
  dominantHits: number;
  anyHits: number;
  /** Share of `located` whose `<location>` names the dominant cell. */
  dominantAccuracy: number;
  /** Share of `located` whose `<location>` names any covered cell. */
  anyAccuracy: number;
  /** Anomalous images answered yes whose defect has a type. */
  typed: number;
  /** Mean type score over `typed`, in [0, 1]. */
  typeMeanScore: number;
  /** Answers whose type score is at least {@link TYPE_HIT_THRESHOLD}. */
  typeHits: number;
  /** Share of `typed` that are type hits. */
  typeAccuracy: number;
}

/**
 * Location and type accuracy over the answers that said yes to an anomalous image with a truth.
 *
 * @example
 * interpretationMetrics(answers).anyAccuracy; // e.g. 62.5
 */
export function interpretationMetrics(answers: readonly Pick<AnswerRecord, 'label' | 'answer' | 'response' | 'truth'>[]): InterpretationMetrics {
  let located = 0;
  let dominantHits = 0;
  let anyHits = 0;
  let typed = 0;
  let typeSum = 0;
  let typeHits = 0;
  for (const answer of answers) {
    const judgement = judgeInterpretation(answer);
    if (!judgement) continue;
    if (judgement.anyHit !== undefined) {
      located++;
      if (judgement.dominantHit) dominantHits++;
      if (judgement.anyHit) anyHits++;
    }
    if (judgement.typeScore !== undefined) {
      typed++;
      typeSum += judgement.typeScore;
      if (judgement.typeScore >= TYPE_HIT_THRESHOLD) typeHits++;
    }
  }
  return {
    located,
    dominantHits,
    anyHits,
    dominantAccuracy: percentOf(dominantHits, located),
    anyAccuracy: percentOf(anyHits, located),
    typed,
    typeMeanScore: typed > 0 ? typeSum / typed : 0,
    typeHits,
    typeAccuracy: percentOf(typeHits, typed),
  };
}
