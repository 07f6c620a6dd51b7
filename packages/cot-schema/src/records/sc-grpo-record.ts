import { z } from 'zod';

/** The question every Expert-AD record asks. */
export const DEFAULT_QUESTION = 'Are there any defects in the query image?';

/**
 * An SC-GRPO record: `solution` is the ground truth the rewards read, either
 * `<answer>No</answer>` or `<location>…</location><type>…</type><answer>Yes</answer>`.
 * `image` is one path (0-shot) or `[reference, query]` (1-shot).
 */
export const scGrpoRecordSchema = z.object({
  id: z.union([z.string().min(1), z.number().int()]),
  image: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  problem: z.string().min(1),
  solution: z.string().refine((s) => /<answer>[^\n]*?<\/answer>/.test(s), {
    message: 'solution must contain <answer>…</answer> on one line',
  }),
});
/** An SC-GRPO record. */
export type ScGrpoRecord = z.infer<typeof scGrpoRecordSchema>;
