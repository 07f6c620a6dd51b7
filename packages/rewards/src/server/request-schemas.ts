import { z } from 'zod';

const message = z.object({ role: z.string().optional(), content: z.unknown() });
const completion = z.union([z.string(), z.array(message)], { error: 'expected a string or a list of chat messages' });

/** OpenRLHF remote reward model protocol: `query` = prompt + response; `labels` = SC-GRPO solutions. */
export const getRewardRequestSchema = z
  .object({
    query: z.array(z.string()),
    prompts: z.array(z.string()).optional(),
    labels: z.array(z.string()),
  })
  .superRefine((body, ctx) => {
    if (body.labels.length !== body.query.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `expected ${body.query.length} labels (one per query), got ${body.labels.length}` });
    }
    if (body.prompts && body.prompts.length !== body.query.length) {
      ctx.addIssue({ code: 'custom', path: ['prompts'], message: `expected ${body.query.length} prompts (one per query), got ${body.prompts.length}` });
    }
  });

/** Our own batch endpoint: completions (text or chat messages), their solutions, and optional per-completion context for custom rewards. */
export const scoreRequestSchema = z
  .object({
    completions: z.array(completion),
    solutions: z.array(z.string()),
    extras: z.array(z.unknown()).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.solutions.length !== body.completions.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['solutions'],
        message: `expected ${body.completions.length} solutions (one per completion), got ${body.solutions.length}`,
      });
    }
    if (body.extras && body.extras.length !== body.completions.length) {
      ctx.addIssue({ code: 'custom', path: ['extras'], message: `expected ${body.completions.length} extras (one per completion), got ${body.extras.length}` });
    }
  });
