import { z } from 'zod';

/** One question of an MMAD-style entry; only "Anomaly Detection" ones decide the label. */
export const mmadConversationSchema = z
  .object({
    Question: z.string(),
    Answer: z.string(),
    Options: z.record(z.string(), z.string()),
    type: z.string(),
  })
  .passthrough();

/** One image of an MMAD-style manifest (docs/DATA.md). */
export const mmadEntrySchema = z
  .object({
    image_path: z.string().optional(),
    conversation: z.array(mmadConversationSchema),
    similar_templates: z.array(z.string()).default([]),
    random_templates: z.array(z.string()).default([]),
    mask_path: z.string().nullable().optional(),
  })
  .passthrough();
/** One image of an MMAD-style manifest. */
export type MmadEntry = z.output<typeof mmadEntrySchema>;

/** A whole manifest: image path relative to the data root → entry. */
export const mmadManifestSchema = z.record(z.string(), mmadEntrySchema);
/** An MMAD-style manifest: image path → entry. */
export type MmadManifest = z.output<typeof mmadManifestSchema>;

/**
 * The label an MMAD entry gives its image: the "Anomaly Detection" question's answer letter
 * (A = "Yes." → anomalous, B = "No." → normal), read through the entry's own options.
 * Returns undefined when the entry has no such question or the answer is not yes/no.
 *
 * @example
 * mmadEntryLabel({ conversation: [{ Question: '…', Answer: 'A', Options: { A: 'Yes.', B: 'No.' }, type: 'Anomaly Detection' }], similar_templates: [], random_templates: [] });
 * // 'anomalous'
 */
export function mmadEntryLabel(entry: MmadEntry): 'normal' | 'anomalous' | undefined {
  const question = entry.conversation.find((c) => c.type === 'Anomaly Detection');
  if (!question) return undefined;
  const letter = question.Answer.trim().replace(/[.)]$/, '');
  const option = (question.Options[letter] ?? question.Answer).trim().toLowerCase().replace(/[.!]$/, '');
  if (option === 'yes') return 'anomalous';
  if (option === 'no') return 'normal';
  return undefined;
}
