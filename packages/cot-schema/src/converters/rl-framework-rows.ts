import { z } from 'zod';
import { SC_GRPO_PROMPT_ONE_SHOT, SC_GRPO_PROMPT_ZERO_SHOT, scGrpoTrainingPrompt } from '../prompts/prompt-templates';
import { type ScGrpoRecord, scGrpoRecordSchema } from '../records/sc-grpo-record';

// Rows for the Python RL engines. Each carries the ground truth as the SC-GRPO `solution`
// string, which the reward server and the reward shims read unchanged.

function imagesOf(record: ScGrpoRecord): string[] {
  return typeof record.image === 'string' ? [record.image] : record.image;
}

function promptOf(record: ScGrpoRecord): string {
  return scGrpoTrainingPrompt(imagesOf(record).length > 1 ? 1 : 0, record.problem);
}

// Recovers the question from a training prompt; a text in no known template is kept whole.
function questionOf(text: string): string {
  for (const template of [SC_GRPO_PROMPT_ZERO_SHOT, SC_GRPO_PROMPT_ONE_SHOT]) {
    const [prefix, suffix] = template.split('{Question}') as [string, string];
    if (text.startsWith(prefix) && text.endsWith(suffix) && text.length >= prefix.length + suffix.length) {
      return text.slice(prefix.length, text.length - suffix.length);
    }
  }
  return text;
}

function withoutImageMarkers(text: string): string {
  return text.replace(/^(?:<image>\s*)+/, '').replace(/(?:\s*<image>)+$/, '');
}

function imageRecord(id: unknown, images: string[], problem: string, solution: string): ScGrpoRecord {
  return scGrpoRecordSchema.parse({ id, image: images.length === 1 ? images[0] : images, problem, solution });
}

// ---------------------------------------------------------------------------------------------
// TRL GRPOTrainer / VLM-R1: conversational prompt with image placeholders, images column, and
// `solution` passed to reward functions as a keyword column.

/** A TRL GRPOTrainer / VLM-R1 dataset row. */
export const trlRowSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  prompt: z.array(
    z.object({
      role: z.string(),
      content: z.array(z.union([z.object({ type: z.literal('image') }), z.object({ type: z.literal('text'), text: z.string() })])),
    }),
  ),
  images: z.array(z.string()).min(1),
  solution: z.string(),
});
/** A TRL GRPOTrainer / VLM-R1 dataset row. */
export type TrlRow = z.infer<typeof trlRowSchema>;

/**
 * An SC-GRPO record → a TRL GRPOTrainer (and VLM-R1) dataset row.
 *
 * @example
 * scGrpoToTrlRow(record).prompt[0].content; // [{ type: 'image' }, { type: 'text', text: 'You are an expert …' }]
 */
export function scGrpoToTrlRow(record: ScGrpoRecord): TrlRow {
  const images = imagesOf(record);
  return {
    id: record.id,
    prompt: [{ role: 'user', content: [...images.map(() => ({ type: 'image' as const })), { type: 'text' as const, text: promptOf(record) }] }],
    images,
    solution: record.solution,
  };
}

/** A TRL row → an SC-GRPO record. */
export function trlRowToScGrpo(row: TrlRow, index = 0): ScGrpoRecord {
  const text = row.prompt.flatMap((m) => m.content).find((p): p is { type: 'text'; text: string } => p.type === 'text')?.text ?? '';
  return imageRecord(row.id ?? index, row.images, questionOf(text), row.solution);
}

// ---------------------------------------------------------------------------------------------
// verl: RLHFDataset rows (parquet or JSONL) with `<image>` markers in the prompt text, images
// as `{image: path}` dicts, and the ground truth in `reward_model.ground_truth`.

/** A verl RLHFDataset row. */
export const verlRowSchema = z.object({
  data_source: z.string(),
  prompt: z.array(z.object({ role: z.string(), content: z.string() })).min(1),
  images: z.array(z.object({ image: z.string() })).min(1),
  ability: z.string(),
  reward_model: z.object({ style: z.string(), ground_truth: z.string() }),
  extra_info: z.object({ index: z.number().int(), id: z.union([z.string(), z.number()]).optional() }).passthrough(),
});
/** A verl RLHFDataset row. */
export type VerlRow = z.infer<typeof verlRowSchema>;

/**
 * An SC-GRPO record → a verl dataset row. `dataSource` is what verl passes to
 * `compute_score` as `data_source` (default "iad-r1").
 *
 * @example
 * scGrpoToVerlRow(record, 0).reward_model; // { style: 'rule', ground_truth: '<answer>No</answer>' }
 */
export function scGrpoToVerlRow(record: ScGrpoRecord, index: number, dataSource = 'iad-r1', split = 'train'): VerlRow {
  const images = imagesOf(record);
  return {
    data_source: dataSource,
    prompt: [{ role: 'user', content: `${'<image>'.repeat(images.length)}${promptOf(record)}` }],
    images: images.map((image) => ({ image })),
    ability: 'anomaly_detection',
    reward_model: { style: 'rule', ground_truth: record.solution },
    extra_info: { index, id: record.id, split, problem: record.problem },
  };
}

/** A verl row → an SC-GRPO record. */
export function verlRowToScGrpo(row: VerlRow): ScGrpoRecord {
  const text = withoutImageMarkers(row.prompt.find((m) => m.role === 'user')?.content ?? '');
  return imageRecord(row.extra_info.id ?? row.extra_info.index, row.images.map((i) => i.image), questionOf(text), row.reward_model.ground_truth);
}

// ---------------------------------------------------------------------------------------------
// EasyR1: `problem` with `<image>` markers, `answer` holding the ground truth, `images` paths.

/** An EasyR1 dataset row. */
export const easyR1RowSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  problem: z.string(),
  answer: z.string(),
  images: z.array(z.string()).min(1),
});
/** An EasyR1 dataset row. */
export type EasyR1Row = z.infer<typeof easyR1RowSchema>;

/**
 * An SC-GRPO record → an EasyR1 dataset row (default keys `problem`, `answer`, `images`).
 *
 * @example
 * scGrpoToEasyR1Row(record).answer; // the solution string
 */
export function scGrpoToEasyR1Row(record: ScGrpoRecord): EasyR1Row {
  const images = imagesOf(record);
  return { id: record.id, problem: `${'<image>'.repeat(images.length)}${promptOf(record)}`, answer: record.solution, images };
}

/** An EasyR1 row → an SC-GRPO record. */
export function easyR1RowToScGrpo(row: EasyR1Row, index = 0): ScGrpoRecord {
  return imageRecord(row.id ?? index, row.images, questionOf(withoutImageMarkers(row.problem)), row.answer);
}

// ---------------------------------------------------------------------------------------------
// OpenRLHF: `input` prompt text and `label` (read with --data.input_key input --data.label_key label);
// the label reaches the reward server's `/get_reward` as `labels`.

/** An OpenRLHF prompt dataset row. */
export const openRlhfRowSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  input: z.string(),
  images: z.array(z.string()).min(1),
  label: z.string(),
});
/** An OpenRLHF prompt dataset row. */
export type OpenRlhfRow = z.infer<typeof openRlhfRowSchema>;

/** An SC-GRPO record → an OpenRLHF dataset row. */
export function scGrpoToOpenRlhfRow(record: ScGrpoRecord): OpenRlhfRow {
  const images = imagesOf(record);
  return { id: record.id, input: `${'<image>'.repeat(images.length)}${promptOf(record)}`, images, label: record.solution };
}

/** An OpenRLHF row → an SC-GRPO record. */
export function openRlhfRowToScGrpo(row: OpenRlhfRow, index = 0): ScGrpoRecord {
  return imageRecord(row.id ?? index, row.images, questionOf(withoutImageMarkers(row.input)), row.label);
}
