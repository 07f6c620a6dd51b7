import { z } from 'zod';

const noTags = (field: string) =>
  z.string().refine((s) => !/<\/?(think|location|type|answer)>/.test(s), {
    message: `${field} must not contain an output tag`,
  });

/** Zod schema of a parsed model output (the value `parseOutput` returns on success). */
export const modelOutputSchema = z.discriminatedUnion('pattern', [
  z.object({ pattern: z.literal('normal'), think: noTags('think'), answer: z.literal('no') }),
  z.object({
    pattern: z.literal('anomalous'),
    think: noTags('think'),
    location: noTags('location'),
    type: noTags('type'),
    answer: z.literal('yes'),
  }),
]);
