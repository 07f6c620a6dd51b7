import { z } from 'zod';
import { COARSE_TYPES } from '../taxonomy/anomaly-taxonomy';

/** Review state of a generated record (docs/METHOD.md §7 step 4). */
export const REVIEW_STATUSES = ['pending', 'accepted', 'edited', 'rejected'] as const;
/** Review state of a generated record. */
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/**
 * The text of a `<think>` block as records carry it: not empty, and without any of the output's
 * own tags — a `</think><answer>No</answer><think>` inside would change the answer the model is
 * taught.
 */
export const thinkTextSchema = z
  .string()
  .refine((text) => text.trim() !== '', { message: 'must not be blank' })
  .refine((text) => !/<\/?(think|location|type|answer)>/i.test(text), { message: 'must not contain <think>, <location>, <type> or <answer> tags' });

/** Ground-truth label of an image. */
export const anomalyLabelSchema = z.enum(['normal', 'anomalous']);
/** Ground-truth label of an image. */
export type AnomalyLabel = z.infer<typeof anomalyLabelSchema>;

/** Where a defect is: the text used in `<location>` and, when known, its grid cells. */
export const defectLocationSchema = z.object({
  text: z.string().min(1),
  /** 1-based row-major cells covered by the defect, when known. */
  cells: z.array(z.number().int().positive()).optional(),
  /** Side of the grid `cells` refer to. */
  gridSize: z.number().int().positive().optional(),
});
/** Where a defect is: location text and, when known, grid cells. */
export type DefectLocation = z.infer<typeof defectLocationSchema>;

/**
 * The canonical Expert-AD record: everything PA-SFT and SC-GRPO records need, plus provenance.
 * A normal record has no location and no type; an anomalous one has both.
 */
export const expertAdRecordSchema = z
  .object({
    id: z.string().min(1),
    /** Path (or URL) of the image under inspection. */
    queryImage: z.string().min(1),
    /** Path of a normal image of the same category, for 1-shot records. */
    referenceImage: z.string().min(1).optional(),
    label: anomalyLabelSchema,
    location: defectLocationSchema.optional(),
    coarseType: z.enum(COARSE_TYPES).optional(),
    /** Free-text fine-grained type, e.g. "linear scratch". */
    fineType: z.string().min(1).optional(),
    /** Chain-of-thought text (the content of `<think>`). */
    think: thinkTextSchema.optional(),
    source: z.object({
      dataset: z.string().min(1),
      category: z.string().min(1),
      view: z.string().optional(),
      defectCode: z.string().optional(),
    }),
    review: z
      .object({
        status: z.enum(REVIEW_STATUSES),
        note: z.string().optional(),
        reviewedAt: z.string().optional(),
      })
      .default({ status: 'pending' }),
  })
  .superRefine((record, ctx) => {
    if (record.label === 'anomalous') {
      if (!record.location) ctx.addIssue({ code: 'custom', path: ['location'], message: 'an anomalous record needs a location' });
      if (!record.coarseType) ctx.addIssue({ code: 'custom', path: ['coarseType'], message: 'an anomalous record needs a coarse type' });
    } else {
      if (record.location) ctx.addIssue({ code: 'custom', path: ['location'], message: 'a normal record has no location' });
      if (record.coarseType || record.fineType) {
        ctx.addIssue({ code: 'custom', path: ['coarseType'], message: 'a normal record has no defect type' });
      }
    }
  });
/** A validated canonical Expert-AD record. */
export type ExpertAdRecord = z.output<typeof expertAdRecordSchema>;
/** An Expert-AD record before defaults are applied (what `expertAdRecordSchema.parse` accepts). */
export type ExpertAdRecordInput = z.input<typeof expertAdRecordSchema>;
