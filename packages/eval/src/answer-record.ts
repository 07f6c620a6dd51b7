import { z } from 'zod';

/** One line of `answers.jsonl`: one image, the model's raw response, and how it was judged. */
export const answerRecordSchema = z.object({
  /** `<dataset>::<sample id>`, unique within a run. */
  key: z.string().min(1),
  dataset: z.string(),
  category: z.string(),
  image: z.string(),
  label: z.enum(['normal', 'anomalous']),
  references: z.array(z.string()),
  response: z.string(),
  /** The extracted yes/no, or null when none could be read (counted as wrong). */
  answer: z.enum(['yes', 'no']).nullable(),
  correct: z.boolean(),
  finishReason: z.string().optional(),
  ms: z.number().nonnegative().optional(),
});
export type AnswerRecord = z.infer<typeof answerRecordSchema>;
