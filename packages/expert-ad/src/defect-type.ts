import { type CoarseType, coarseTypeOfRealIadCode, coarseTypeOfText } from '@iad-r1/cot-schema';
import { DEFECT_TYPES } from '@iad-r1/datasets';
import { IadR1Error } from '@iad-r1/errors';

/** A defect name the pipeline cannot map to one of the eight coarse types. */
export class UnknownDefectError extends IadR1Error {
  override readonly name = 'UnknownDefectError';
  constructor(
    readonly defect: string,
    readonly sample: string,
  ) {
    super(
      `${sample}: cannot tell the coarse type of defect ${JSON.stringify(defect)}; pass a type map ` +
        `(e.g. {"${defect}": "Scratch"}, --type-map FILE) naming one of the eight coarse types`,
    );
  }
}

/**
 * The coarse type of a dataset's defect name, tried in this order: the caller's map, Real-IAD
 * codes (`HS` → Scratch), the synthetic set's defect names, then the name itself read as a type or
 * synonym (`scratch`, `foreign_object`).
 *
 * @example
 * coarseTypeOfDefect('AK'); // 'Hole'
 * coarseTypeOfDefect('broken_large', { broken_large: 'Damage' }); // 'Damage'
 */
export function coarseTypeOfDefect(defect: string, typeMap: Readonly<Record<string, CoarseType>> = {}): CoarseType | undefined {
  return (
    typeMap[defect] ??
    coarseTypeOfRealIadCode(defect) ??
    (DEFECT_TYPES as Readonly<Record<string, CoarseType>>)[defect] ??
    coarseTypeOfText(defect.replace(/[_-]+/g, ' '))
  );
}
