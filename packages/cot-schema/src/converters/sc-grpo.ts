import { type ExpertAdRecord, expertAdRecordSchema } from '../records/expert-ad-record';
import { DEFAULT_QUESTION, type ScGrpoRecord } from '../records/sc-grpo-record';
import { ConversionError } from './conversion-error';
import type { FromFormatOptions } from './pa-sft';
import { typeFields } from './pa-sft';
import { parseSolution, solutionOf } from './solution';
import type { TypeLevel } from './type-text';

/** Options of {@link expertAdToScGrpo}. */
export interface ToScGrpoOptions {
  /** 0 (default): `image` is the query path; 1: `image` is `[reference, query]`. */
  shots?: 0 | 1;
  typeLevel?: TypeLevel;
}

/**
 * An Expert-AD record → an SC-GRPO record `{id, image, problem, solution}`.
 *
 * @example
 * expertAdToScGrpo(record); // { id, image: 'query.png', problem: 'Are there any defects in the query image?', solution: '<answer>No</answer>' }
 */
export function expertAdToScGrpo(record: ExpertAdRecord, options: ToScGrpoOptions = {}): ScGrpoRecord {
  let image: string | string[] = record.queryImage;
  if ((options.shots ?? 0) === 1) {
    if (!record.referenceImage) throw new ConversionError(record.id, 'referenceImage', 'a 1-shot record needs a reference image');
    image = [record.referenceImage, record.queryImage];
  }
  return { id: record.id, image, problem: DEFAULT_QUESTION, solution: solutionOf(record, options.typeLevel) };
}

/**
 * An SC-GRPO record → an Expert-AD record (without CoT: the format carries none).
 *
 * @example
 * scGrpoToExpertAd({ id: 'a', image: 'q.png', problem: '…', solution: '<answer>No</answer>' }).label; // 'normal'
 */
export function scGrpoToExpertAd(record: ScGrpoRecord, options: Omit<FromFormatOptions, 'id'> = {}): ExpertAdRecord {
  const id = String(record.id);
  const images = typeof record.image === 'string' ? [record.image] : record.image;
  const parsed = parseSolution(record.solution);
  if (!parsed) throw new ConversionError(record.id, 'solution', `answer must be Yes or No, got ${JSON.stringify(record.solution)}`);
  const base = {
    id,
    queryImage: images[images.length - 1] as string,
    ...(images.length > 1 ? { referenceImage: images[0] as string } : {}),
    source: options.source ?? { dataset: 'unknown', category: 'unknown' },
  };
  if (parsed.label === 'normal') return expertAdRecordSchema.parse({ ...base, label: 'normal' });
  if (!parsed.location) throw new ConversionError(record.id, 'solution', 'a Yes solution needs <location>');
  if (!parsed.type) throw new ConversionError(record.id, 'solution', 'a Yes solution needs <type>');
  return expertAdRecordSchema.parse({ ...base, label: 'anomalous', location: { text: parsed.location }, ...typeFields(id, parsed.type) });
}
