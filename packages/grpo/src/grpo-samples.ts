import { isAbsolute, join } from 'node:path';
import { type ChatMessage, type ExpertAdRecord, type ScGrpoRecord, recordMessages, solutionOf } from '@iad-r1/cot-schema';

/** One SC-GRPO prompt: what the policy sees and the ground truth the rewards read. */
export interface GrpoSample {
  id: string;
  messages: ChatMessage[];
  /** The SC-GRPO `solution` string (`<answer>No</answer>` or location, type and `<answer>Yes</answer>`). */
  solution: string;
}

const resolvePath = (path: string, root: string | undefined): string => (root && !isAbsolute(path) ? join(root, path) : path);

/**
 * GRPO samples from SC-GRPO records: images first (reference then query for 1-shot records), then
 * the SC-GRPO training prompt with the record's question (docs/METHOD.md §2).
 *
 * @example
 * samplesFromScGrpo(records, { imagesRoot: 'data/synthetic' });
 */
export function samplesFromScGrpo(records: readonly ScGrpoRecord[], options: { imagesRoot?: string } = {}): GrpoSample[] {
  return records.map((record) => {
    const images = typeof record.image === 'string' ? [record.image] : record.image;
    // An SC-GRPO record lists the reference(s) then the query for 1-shot, the query alone for 0-shot.
    const pair = { referenceImages: images.slice(0, -1), queryImage: images[images.length - 1] as string };
    const messages = recordMessages(pair, { style: 'sc-grpo', shots: images.length > 1 ? 1 : 0, question: record.problem, resolveImage: (p) => resolvePath(p, options.imagesRoot) });
    return { id: String(record.id), messages, solution: record.solution };
  });
}

/**
 * GRPO samples straight from canonical Expert-AD records, with the PA-SFT prompt (image, then the
 * question) so the policy sees what it was fine-tuned on.
 */
export function samplesFromExpertAd(records: readonly ExpertAdRecord[], options: { imagesRoot?: string; question?: string } = {}): GrpoSample[] {
  return records.map((record) => ({
    id: record.id,
    messages: recordMessages(record, { style: 'pa-sft', ...(options.question !== undefined ? { question: options.question } : {}), resolveImage: (p) => resolvePath(p, options.imagesRoot) }),
    solution: solutionOf(record),
  }));
}
