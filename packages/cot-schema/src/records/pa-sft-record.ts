import { z } from 'zod';

/**
 * A PA-SFT record in LLaMA-Factory's "sharegpt" style: images plus a user turn with one
 * `<image>` marker per image and the assistant's tagged answer.
 */
export const paSftRecordSchema = z
  .object({
    images: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }))
      .min(2),
  })
  .superRefine((record, ctx) => {
    const images = typeof record.images === 'string' ? 1 : record.images.length;
    const markers = record.messages
      .filter((m) => m.role === 'user')
      .reduce((n, m) => n + (m.content.match(/<image>/g)?.length ?? 0), 0);
    if (markers !== images) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: `user turns carry ${markers} <image> marker(s) but the record has ${images} image(s)`,
      });
    }
    const last = record.messages[record.messages.length - 1];
    if (last?.role !== 'assistant') {
      ctx.addIssue({ code: 'custom', path: ['messages', record.messages.length - 1, 'role'], message: 'the last turn must be the assistant' });
    }
  });
/** A PA-SFT record in LLaMA-Factory sharegpt style. */
export type PaSftRecord = z.infer<typeof paSftRecordSchema>;
