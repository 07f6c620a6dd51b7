import type { ExpertAdRecord } from '../records/expert-ad-record';
import { ConversionError } from './conversion-error';
import { type TypeLevel, typeText } from './type-text';

/**
 * The SC-GRPO ground-truth string of a record: `<answer>No</answer>`, or
 * `<location>…</location><type>…</type><answer>Yes</answer>`.
 *
 * @example
 * solutionOf({ id: 'a', label: 'anomalous', location: { text: 'top left' }, coarseType: 'Hole', … });
 * // '<location>top left</location><type>hole</type><answer>Yes</answer>'
 */
export function solutionOf(
  record: Pick<ExpertAdRecord, 'id' | 'label' | 'location' | 'coarseType' | 'fineType'>,
  level: TypeLevel = 'coarse',
): string {
  if (record.label === 'normal') return '<answer>No</answer>';
  const location = record.location?.text;
  const type = typeText(record, level);
  if (!location) throw new ConversionError(record.id, 'location', 'an anomalous record needs a location');
  if (!type) throw new ConversionError(record.id, 'coarseType', 'an anomalous record needs a type');
  return `<location>${location}</location><type>${type}</type><answer>Yes</answer>`;
}

/** Parts of an SC-GRPO solution string. */
export interface ParsedSolution {
  label: 'normal' | 'anomalous';
  location?: string;
  type?: string;
}

/**
 * Reads a solution string back into its label, location and type (first tag of each, on one line).
 * Returns undefined when its answer is neither yes nor no.
 *
 * @example
 * parseSolution('<location>top</location><type>hole</type><answer>Yes</answer>');
 * // { label: 'anomalous', location: 'top', type: 'hole' }
 */
export function parseSolution(solution: string): ParsedSolution | undefined {
  const tag = (name: string): string | undefined => new RegExp(`<${name}>([^\\n]*?)</${name}>`).exec(solution)?.[1]?.trim();
  const answer = (tag('answer') ?? solution.trim()).toLowerCase();
  if (answer !== 'yes' && answer !== 'no') return undefined;
  const location = tag('location');
  const type = tag('type');
  return {
    label: answer === 'yes' ? 'anomalous' : 'normal',
    ...(location !== undefined ? { location } : {}),
    ...(type !== undefined ? { type } : {}),
  };
}
