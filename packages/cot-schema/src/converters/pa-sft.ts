import { formatOutput, parseOutput } from '../output/parse-output';
import { type ExpertAdRecord, expertAdRecordSchema } from '../records/expert-ad-record';
import type { PaSftRecord } from '../records/pa-sft-record';
import { DEFAULT_QUESTION } from '../records/sc-grpo-record';
import { scGrpoTrainingPrompt } from '../prompts/prompt-templates';
import { ConversionError } from './conversion-error';
import { type TypeLevel, coarseTypeOfText, typeText } from './type-text';

/** Options of {@link expertAdToPaSft}. */
export interface ToPaSftOptions {
  /** 0: query image only; 1: reference then query (the record needs `referenceImage`). Default 0. */
  shots?: 0 | 1;
  /** `cot` (default): the full tagged answer; `answer-only`: just `<answer>…</answer>` (the paper's "Original" ablation). */
  target?: 'cot' | 'answer-only';
  /** Coarse (default) or fine type label in `<type>`. */
  typeLevel?: TypeLevel;
}

/**
 * The assistant target of a record: the tagged CoT answer, or only `<answer>…</answer>`.
 *
 * @example
 * assistantTarget(record, { target: 'answer-only' }); // '<answer>No</answer>'
 */
export function assistantTarget(record: ExpertAdRecord, options: Pick<ToPaSftOptions, 'target' | 'typeLevel'> = {}): string {
  const yes = record.label === 'anomalous';
  if (options.target === 'answer-only') return `<answer>${yes ? 'Yes' : 'No'}</answer>`;
  if (record.think === undefined) throw new ConversionError(record.id, 'think', 'a CoT target needs the think text');
  if (!yes) return formatOutput({ pattern: 'normal', think: record.think, answer: 'no' });
  const location = record.location?.text;
  const type = typeText(record, options.typeLevel);
  if (!location) throw new ConversionError(record.id, 'location', 'an anomalous record needs a location');
  if (!type) throw new ConversionError(record.id, 'coarseType', 'an anomalous record needs a type');
  return formatOutput({ pattern: 'anomalous', think: record.think, location, type, answer: 'yes' });
}

/**
 * An Expert-AD record → a PA-SFT record in LLaMA-Factory's sharegpt style. 0-shot:
 * `<image>\nAre there any defects in the query image?`; 1-shot: the SC-GRPO one-shot prompt
 * followed by two `<image>` markers, images `[reference, query]`.
 *
 * @example
 * expertAdToPaSft(record).messages[1].content; // '<think>…</think><answer>No</answer>'
 */
export function expertAdToPaSft(record: ExpertAdRecord, options: ToPaSftOptions = {}): PaSftRecord {
  const shots = options.shots ?? 0;
  const answer = assistantTarget(record, options);
  if (shots === 0) {
    return {
      images: [record.queryImage],
      messages: [
        { role: 'user', content: `<image>\n${DEFAULT_QUESTION}` },
        { role: 'assistant', content: answer },
      ],
    };
  }
  if (!record.referenceImage) {
    throw new ConversionError(record.id, 'referenceImage', 'a 1-shot record needs a reference image');
  }
  return {
    images: [record.referenceImage, record.queryImage],
    messages: [
      { role: 'user', content: `${scGrpoTrainingPrompt(1)}\n<image>\n<image>` },
      { role: 'assistant', content: answer },
    ],
  };
}

/** What a format without ids or provenance cannot tell: supplied by the caller. */
export interface FromFormatOptions {
  /** Id for the record (the format has none); default: the query image path. */
  id?: string;
  /** Provenance to record; default dataset and category "unknown". */
  source?: ExpertAdRecord['source'];
}

/**
 * A PA-SFT record → an Expert-AD record. The last image is the query, a first one of two the
 * reference. An answer-only target converts only for normal images (anomalous ones lack the
 * location and type the canonical record needs).
 *
 * @example
 * paSftToExpertAd(expertAdToPaSft(record), { id: record.id, source: record.source });
 */
export function paSftToExpertAd(record: PaSftRecord, options: FromFormatOptions = {}): ExpertAdRecord {
  const images = typeof record.images === 'string' ? [record.images] : record.images;
  const queryImage = images[images.length - 1] as string;
  const id = options.id ?? queryImage;
  const assistant = [...record.messages].reverse().find((m) => m.role === 'assistant');
  if (!assistant) throw new ConversionError(id, 'messages', 'no assistant turn');
  const base = {
    id,
    queryImage,
    ...(images.length > 1 ? { referenceImage: images[0] as string } : {}),
    source: options.source ?? { dataset: 'unknown', category: 'unknown' },
  };

  const answerOnly = /^\s*<answer>\s*(yes|no)\s*<\/answer>\s*$/i.exec(assistant.content);
  if (answerOnly) {
    if (answerOnly[1]?.toLowerCase() === 'yes') {
      throw new ConversionError(id, 'messages', 'an answer-only anomalous target has no location and type to convert');
    }
    return expertAdRecordSchema.parse({ ...base, label: 'normal' });
  }
  const output = parseOutput(assistant.content);
  if (!output.ok) throw new ConversionError(id, 'messages.content', output.reason);
  if (output.pattern === 'normal') return expertAdRecordSchema.parse({ ...base, label: 'normal', think: output.think });
  return expertAdRecordSchema.parse({ ...base, label: 'anomalous', think: output.think, ...typeFields(id, output.type), location: { text: output.location } });
}

/** Coarse and fine type fields from a `<type>` text; a non-coarse text is kept as the fine type. */
export function typeFields(id: string | number, text: string): Pick<ExpertAdRecord, 'coarseType' | 'fineType'> {
  const coarseType = coarseTypeOfText(text);
  if (!coarseType) {
    throw new ConversionError(id, 'type', `${JSON.stringify(text)} is not one of the 8 coarse types or their synonyms`);
  }
  return coarseType.toLowerCase() === text.trim().toLowerCase() ? { coarseType } : { coarseType, fineType: text.trim() };
}

/**
 * The `dataset_info.json` entry LLaMA-Factory reads a PA-SFT file by (its `DatasetAttr`, src/llamafactory/data/parser.py): sharegpt formatting, the
 * `messages` and `images` columns, OpenAI-style role and content tags.
 *
 * @example
 * const info = { iad_r1_pa_sft: llamaFactoryDatasetEntry('pa-sft.json') };
 */
export function llamaFactoryDatasetEntry(fileName: string): Record<string, unknown> {
  return {
    file_name: fileName,
    formatting: 'sharegpt',
    columns: { messages: 'messages', images: 'images' },
    tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
  };
}
