import { IadR1Error } from '@iad-r1/errors';
/**
 * Thrown by {@link parseOutputOrThrow} when a model answer does not follow either output
 * pattern. `reason` says precisely what is wrong ("missing </think>", …).
 */
export class OutputParseError extends IadR1Error {
  override readonly name = 'OutputParseError';
  readonly reason: string;
  readonly text: string;

  constructor(reason: string, text: string) {
    super(`model output does not follow the IAD-R1 format: ${reason}`);
    this.reason = reason;
    this.text = text;
  }
}
