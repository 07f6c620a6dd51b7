import { z } from 'zod';

/** Where a defect lies and what it is, for scoring `<location>` and `<type>` (anomalous images). */
export const interpretationTruthSchema = z.object({
  gridSize: z.number().int().min(1),
  /** Cells the mask covers, ascending; empty when the image has no mask. */
  cells: z.array(z.number().int().min(1)),
  /** The dominant cell: where the centroid of the mask's largest blob falls (the cell Expert-AD names); null without a mask. */
  cell: z.number().int().min(1).nullable(),
  /** Ground-truth defect type: the coarse type of the dataset's defect name, else that name; absent for names that say no type (`defect`, `combined`). */
  type: z.string().optional(),
});
export type InterpretationTruth = z.infer<typeof interpretationTruthSchema>;

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
  /** Anomalous images with a mask or a typed defect: what `<location>` and `<type>` are scored against. */
  truth: interpretationTruthSchema.optional(),
  /** The consistency judge's reply (does the reasoning support the answer?), when a judge was asked; null if unreadable. */
  judge: z.enum(['yes', 'no']).nullable().optional(),
  /** The question's options with their letters, for answers imported from an answers JSON (`gpt_answer` may be a letter). */
  options: z.array(z.object({ letter: z.string(), text: z.string(), answer: z.enum(['yes', 'no']) })).optional(),
});
export type AnswerRecord = z.infer<typeof answerRecordSchema>;
