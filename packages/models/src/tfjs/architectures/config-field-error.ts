import { IadR1Error } from '@iad-r1/errors';
/** A config.json field this implementation cannot honour, or one with a wrong value: names the file and the field. */
export class ConfigFieldError extends IadR1Error {
  override readonly name = 'ConfigFieldError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: field ${field}: ${reason}`);
  }
}
