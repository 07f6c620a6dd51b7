import { COARSE_TYPES, anomalyLabelSchema, defectLocationSchema, thinkTextSchema } from '@iad-r1/cot-schema';
import { namesGridPlace } from '@iad-r1/grid';
import { matchAnomalyCategory, normaliseTypeText } from '@iad-r1/rewards';
import { z } from 'zod';

/**
 * One (reference, query) pair chosen by `preparePairs`: a line of `pairs.jsonl`. Image paths are
 * absolute, as the dataset reader resolved them.
 */
export const pairRecordSchema = z
  .object({
    /** The query image's id in its dataset (path relative to the data root, no extension). */
    id: z.string().min(1),
    dataset: z.string().min(1),
    category: z.string().min(1),
    view: z.string().optional(),
    label: anomalyLabelSchema,
    queryImage: z.string().min(1),
    referenceImage: z.string().min(1),
    maskPath: z.string().min(1).optional(),
    /** From the mask, on the configured grid (anomalous pairs only). */
    location: defectLocationSchema.optional(),
    coarseType: z.enum(COARSE_TYPES).optional(),
    /** The defect as the dataset names it (folder name, Real-IAD code). */
    defectCode: z.string().optional(),
  })
  .superRefine((pair, ctx) => {
    if (pair.label === 'anomalous' && (!pair.location || !pair.coarseType)) {
      ctx.addIssue({ code: 'custom', path: [pair.location ? 'coarseType' : 'location'], message: 'an anomalous pair needs a location and a coarse type' });
    }
  });
/** A prepared (reference, query) pair. */
export type PairRecord = z.output<typeof pairRecordSchema>;

/** A line of `descriptions.jsonl`: the detailed comparison written in the describe step. */
export const descriptionRecordSchema = z.object({
  id: z.string().min(1),
  description: z.string().min(1),
  /** Which describer wrote it (`template`, `openai:Qwen2.5-VL-72B-Instruct`, …). */
  describer: z.string().min(1),
  /** The query copy with the defect outlined that the describer saw (anomalous pairs). */
  highlightImage: z.string().optional(),
});
/** A description of one pair. */
export type DescriptionRecord = z.output<typeof descriptionRecordSchema>;

/** A line of `thoughts.jsonl`: the distilled CoT, or why the think step gave up on a pair. */
export const thoughtRecordSchema = z.discriminatedUnion('ok', [
  z.object({
    id: z.string().min(1),
    ok: z.literal(true),
    think: z.string().min(1),
    /** Fine-grained type (anomalous pairs), e.g. "linear scratch". */
    fineType: z.string().min(1).optional(),
    describer: z.string().min(1),
    attempts: z.number().int().positive(),
  }),
  z.object({
    id: z.string().min(1),
    ok: z.literal(false),
    /** Why the last attempt was rejected. */
    reason: z.string(),
    /** The last raw output, for inspection. */
    raw: z.string(),
    describer: z.string().min(1),
    attempts: z.number().int().positive(),
  }),
]);
/** The think step's result for one pair. */
export type ThoughtRecord = z.output<typeof thoughtRecordSchema>;

/** A reviewer's verdict on one record. */
export const REVIEW_DECISIONS = ['accepted', 'rejected', 'edited'] as const;

/**
 * A reviewer's location text: it must name a place on the grid (left, top, centre, … or
 * "row R, column C"), since the location reward maps it to a cell and any other text lands on the
 * centre.
 */
export const reviewedLocationSchema = z
  .string()
  .trim()
  .min(1)
  // Up to 9 × 9 for the explicit form; the grid of a run is the prepare step's.
  .refine((text) => namesGridPlace(text, 9), { message: 'must name a place on the grid (left, right, top, bottom, centre, … or "row R, column C")' });

/**
 * A reviewer's fine defect type: a short phrase that the type reward's matcher maps to one of
 * the taxonomy's categories (by name, synonym, containment or similarity ≥ 0.7), so it can be
 * scored; "banana" cannot.
 */
export const reviewedFineTypeSchema = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .refine((text) => matchAnomalyCategory(normaliseTypeText(text)) !== undefined, { message: `must be a defect type of the taxonomy or close to one (${COARSE_TYPES.join(', ')}, or a synonym)` });

/**
 * A line of `reviews.jsonl`. Decisions are appended as they are made; the last line for an id wins.
 * An `edited` decision carries the corrected fields, validated as integration needs them.
 */
export const reviewDecisionSchema = z
  .object({
    id: z.string().min(1),
    status: z.enum(REVIEW_DECISIONS),
    think: thinkTextSchema.optional(),
    location: reviewedLocationSchema.optional(),
    fineType: reviewedFineTypeSchema.optional(),
    note: z.string().optional(),
    reviewedAt: z.string().min(1),
  })
  .strict();
/** A review decision. */
export type ReviewDecision = z.output<typeof reviewDecisionSchema>;
