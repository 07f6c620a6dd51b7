import { IadR1Error } from '@iad-r1/errors';
/** Thrown when a record cannot be converted; names the record and the field at fault. */
export class ConversionError extends IadR1Error {
  override readonly name = 'ConversionError';
  readonly recordId: string | number | undefined;
  readonly field: string;

  constructor(recordId: string | number | undefined, field: string, message: string) {
    super(`record ${recordId === undefined ? '(no id)' : JSON.stringify(recordId)}, field ${field}: ${message}`);
    this.recordId = recordId;
    this.field = field;
  }
}
