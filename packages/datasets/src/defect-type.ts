import { type CoarseType, coarseTypeOfRealIadCode, coarseTypeOfText } from '@iad-r1/cot-schema';
import { DEFECT_TYPES } from './synthetic/defects';

/**
 * The coarse type of a dataset's defect name, tried in this order: the caller's map, Real-IAD
 * codes (`HS` → Scratch), the synthetic set's defect names, then the name itself read as a type or
 * synonym (`scratch`, `foreign_object`). Undefined when none applies (`broken_large`, `combined`).
 *
 * Expert-AD labels its training pairs with it and `@iad-r1/eval` scores `<type>` answers against
 * it, so both read a dataset's defect names the same way.
 *
 * @example
 * coarseTypeOfDefect('AK'); // 'Hole'
 * coarseTypeOfDefect('broken_large', { broken_large: 'Damage' }); // 'Damage'
 */
export function coarseTypeOfDefect(defect: string, typeMap: Readonly<Record<string, CoarseType>> = {}): CoarseType | undefined {
  return typeMap[defect] ?? coarseTypeOfRealIadCode(defect) ?? DEFECT_TYPES[defect] ?? coarseTypeOfText(defect.replace(/[_-]+/g, ' '));
}
