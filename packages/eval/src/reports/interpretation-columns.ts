import type { GroupMetrics } from '../metrics';

/** Column names of the interpretation and consistency table of a run's reports. */
export const INTERPRETATION_HEADER = ['Located', 'Dominant cell', 'Any covered cell', 'Typed', 'Type ≥ 0.85', 'Type mean', 'Tagged', 'Structure fits', 'Think decided', 'Think agrees', 'Other object', 'Judge agrees'];

const rate = (value: number, count: number): string => (count > 0 ? value.toFixed(1) : '–');

/** One row of that table: counts, then rates in % of their own counts ('–' when a count is 0). */
export function interpretationCells(m: GroupMetrics): string[] {
  const { interpretation: i, consistency: c } = m;
  return [
    String(i.located),
    rate(i.dominantAccuracy, i.located),
    rate(i.anyAccuracy, i.located),
    String(i.typed),
    rate(i.typeAccuracy, i.typed),
    i.typed > 0 ? i.typeMeanScore.toFixed(2) : '–',
    String(c.tagged),
    rate(c.structureRate, c.tagged),
    String(c.thinkChecked),
    rate(c.thinkAgreement, c.thinkChecked),
    c.objectChecked > 0 ? `${c.otherObjectRate.toFixed(1)} (n=${c.objectChecked})` : '–',
    c.judged > 0 ? `${c.judgeAgreement.toFixed(1)} (n=${c.judged})` : '–',
  ];
}

/** What the interpretation columns mean, for the reports' text. */
export const INTERPRETATION_NOTE =
  'Interpretation: over anomalous images answered yes — the <location> on the grid against the mask\'s dominant cell and against any cell it covers (Located: how many had a mask), the <type> by the type reward\'s matcher (Typed: how many had a typed defect). Consistency: over tagged answers — structure against the model\'s own answer, the rule-based think check (where it could decide), the share of thinks naming another category of the run and not their own (Other object), and a judge\'s verdicts when one was asked.';
