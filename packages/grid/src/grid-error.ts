import { IadR1Error } from '@iad-r1/errors';
/**
 * Thrown when a grid size, cell number, mask or box is not valid.
 * Carries the offending value so callers can report it.
 */
export class GridError extends IadR1Error {
  override readonly name = 'GridError';
  readonly value: unknown;

  constructor(message: string, value: unknown) {
    super(message);
    this.value = value;
  }
}
