import { z } from 'zod';
import type { CompletionInput } from './completion';
import { type ScGrpoReward, type ScGrpoRewardOptions, scGrpoReward } from './sc-grpo-reward';
import { IadR1Error } from '@iad-r1/errors';

/** One input line of `iad-r1-rewards score`. */
export const scoreLineSchema = z.object({
  completion: z.union([z.string(), z.array(z.object({ role: z.string().optional(), content: z.unknown() }))], {
    error: 'expected a string or a list of chat messages',
  }),
  solution: z.string(),
});

/** Thrown for a bad input line; names the file and the 1-based line number. */
export class ScoreLineError extends IadR1Error {
  override readonly name = 'ScoreLineError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** One parsed input line. */
export interface ScoreLineInput {
  completion: CompletionInput;
  solution: string;
}

/**
 * Reads one JSONL line `{"completion": …, "solution": …}`. Throws a {@link ScoreLineError}
 * naming the line (and the field, for a wrong shape).
 */
export function parseScoreLine(text: string, file: string, line: number): ScoreLineInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScoreLineError(file, line, `malformed JSON: ${(error as Error).message}`);
  }
  const parsed = scoreLineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScoreLineError(file, line, `field ${issue?.path.map(String).join('.') || '(record)'}: ${issue?.message ?? 'invalid'}`);
  }
  return { completion: parsed.data.completion as CompletionInput, solution: parsed.data.solution };
}

/** Scores one JSONL line with the built-in rewards; throws as {@link parseScoreLine}. */
export function scoreLine(text: string, file: string, line: number, options: ScGrpoRewardOptions): ScGrpoReward {
  const { completion, solution } = parseScoreLine(text, file, line);
  return scGrpoReward(completion, solution, options);
}
