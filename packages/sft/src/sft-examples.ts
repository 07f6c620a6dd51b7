import { isAbsolute, join } from 'node:path';
import {
  type ExpertAdRecord,
  type PaSftRecord,
  type TypeLevel,
  ConversionError,
  RecordValidationError,
  assistantTarget,
  fnv1a,
  recordMessages,
} from '@iad-r1/cot-schema';
import { IadR1Error } from '@iad-r1/errors';
import type { ChatMessage, ChatContentPart } from '@iad-r1/models';
import type { TrainingExample } from '@iad-r1/models/tfjs';

/** The paper's PA-SFT ablations (docs/METHOD.md §5). */
export interface SftDataOptions {
  /** Folder image paths are relative to (absolute paths are kept). */
  imagesRoot?: string;
  /** `cot` (default) or `answer-only` ("Original": no think, location or type). */
  target?: 'cot' | 'answer-only';
  /** Coarse (default) or fine type labels in `<type>`. */
  typeLevel?: TypeLevel;
  /** Keep this share of the records (0, 1], picked with the seed: the 20/40/60/80/100 % ablation. */
  fraction?: number;
  /** 0 (default): query only; 1: reference then query, for records that have a reference. */
  shots?: 0 | 1;
  seed?: number;
  /** The file the records came from, named in errors (default `<records>`). */
  source?: string;
}

function resolve(path: string, root: string | undefined): string {
  return root && !isAbsolute(path) ? join(root, path) : path;
}

function subset<T>(items: readonly T[], fraction: number, seed: number): T[] {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return [...items];
  const keyed = items.map((item, i) => ({ item, h: fnv1a(String(i), seed), i }));
  const keep = Math.max(1, Math.round(items.length * fraction));
  return keyed.sort((a, b) => a.h - b.h).slice(0, keep).sort((a, b) => a.i - b.i).map((k) => k.item);
}

/**
 * Training examples from canonical Expert-AD records: the prompt the model will see at test time
 * (image(s), then the question; 1-shot uses the SC-GRPO one-shot prompt) and the tagged answer.
 *
 * @example
 * const examples = examplesFromExpertAd(records, { imagesRoot: 'data/synthetic', target: 'cot' });
 */
export function examplesFromExpertAd(records: readonly ExpertAdRecord[], options: SftDataOptions = {}): TrainingExample[] {
  const shots = options.shots ?? 0;
  return subset(records, options.fraction ?? 1, options.seed ?? 0).map((record) => ({
    messages: recordMessages(record, { style: 'pa-sft', shots, resolveImage: (path) => resolve(path, options.imagesRoot) }),
    completion: targetOf(record, records, options),
  }));
}

// A record that cannot become a target (no think, no type at this level) is named by file, index and field.
function targetOf(record: ExpertAdRecord, records: readonly ExpertAdRecord[], options: SftDataOptions): string {
  try {
    return assistantTarget(record, { target: options.target ?? 'cot', typeLevel: options.typeLevel ?? 'coarse' });
  } catch (error) {
    if (!IadR1Error.isInstance(error)) throw error;
    const issue = ConversionError.isInstance(error) ? { path: error.field, message: error.message } : { path: '', message: `record ${JSON.stringify(record.id)}: ${error.message}` };
    throw new RecordValidationError(options.source ?? '<records>', [{ index: records.indexOf(record), ...issue }], 1);
  }
}

/**
 * Training examples from LLaMA-Factory sharegpt PA-SFT records: `<image>` markers become the
 * record's images in order; the last assistant turn is the target.
 */
export function examplesFromPaSft(records: readonly PaSftRecord[], options: Pick<SftDataOptions, 'imagesRoot' | 'fraction' | 'seed'> = {}): TrainingExample[] {
  return subset(records, options.fraction ?? 1, options.seed ?? 0).map((record) => {
    const images = (typeof record.images === 'string' ? [record.images] : record.images).map((p) => resolve(p, options.imagesRoot));
    let next = 0;
    const messages: ChatMessage[] = record.messages.slice(0, -1).map((m) => {
      const content: ChatContentPart[] = [];
      m.content.split(/(<image>)/).forEach((piece) => {
        if (piece === '<image>') content.push({ type: 'image', image: images[next++] as string });
        else if (piece.trim() !== '') content.push({ type: 'text', text: piece.replace(/^\n+|\n+$/g, '') });
      });
      return { role: m.role, content };
    });
    return { messages, completion: record.messages[record.messages.length - 1]?.content ?? '' };
  });
}

/**
 * Each example's answer — `yes`, `no`, or `other` when its completion has no `<answer>yes|no</answer>` —
 * for `trainSft`'s `strata`, so every batch holds both answers in their share of the data.
 *
 * @example
 * await trainSft({ model, examples, out, strata: answerStrata(examples) });
 */
export function answerStrata(examples: readonly TrainingExample[]): Array<'yes' | 'no' | 'other'> {
  return examples.map((e) => {
    const answer = /<answer>\s*(yes|no)\s*<\/answer>/i.exec(e.completion ?? '')?.[1]?.toLowerCase();
    return answer === 'yes' || answer === 'no' ? answer : 'other';
  });
}

/**
 * Each example's number of images (`'1'`, `'2'`, …), for `trainSft`'s `batchGroups`: a 1-shot
 * example (reference and query image, a longer prompt) is then never padded against 0-shot ones.
 *
 * @example
 * await trainSft({ model, examples, out, batchGroups: imageCountGroups(examples) });
 */
export function imageCountGroups(examples: readonly TrainingExample[]): string[] {
  return examples.map((e) => String(e.messages.reduce((n, m) => n + (typeof m.content === 'string' ? 0 : m.content.filter((part) => part.type === 'image').length), 0)));
}
