import { isAbsolute, join } from 'node:path';
import { type ExpertAdRecord, type ScGrpoRecord, scGrpoTrainingPrompt, solutionOf } from '@iad-r1/cot-schema';
import type { ChatContentPart, ChatMessage } from '@iad-r1/models';

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
 * the SC-GRPO training prompt with the record's question (METHOD.md §2).
 *
 * @example
 * samplesFromScGrpo(records, { imagesRoot: 'data/synthetic' });
 */
export function samplesFromScGrpo(records: readonly ScGrpoRecord[], options: { imagesRoot?: string } = {}): GrpoSample[] {
  return records.map((record) => {
    const images = (typeof record.image === 'string' ? [record.image] : record.image).map((p) => resolvePath(p, options.imagesRoot));
    const content: ChatContentPart[] = [...images.map((image) => ({ type: 'image' as const, image })), { type: 'text' as const, text: scGrpoTrainingPrompt(images.length > 1 ? 1 : 0, record.problem) }];
    return { id: String(record.id), messages: [{ role: 'user', content }], solution: record.solution };
  });
}

/**
 * GRPO samples straight from canonical Expert-AD records, with the PA-SFT prompt (image, then the
 * question) so the policy sees what it was fine-tuned on.
 */
export function samplesFromExpertAd(records: readonly ExpertAdRecord[], options: { imagesRoot?: string; question?: string } = {}): GrpoSample[] {
  return records.map((record) => ({
    id: record.id,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', image: resolvePath(record.queryImage, options.imagesRoot) },
          { type: 'text', text: options.question ?? 'Are there any defects in the query image?' },
        ],
      },
    ],
    solution: solutionOf(record),
  }));
}
