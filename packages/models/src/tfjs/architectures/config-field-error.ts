/** A config.json field this implementation cannot honour, or one with a wrong value: names the file and the field. */
export class ConfigFieldError extends Error {
  override readonly name = 'ConfigFieldError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: field ${field}: ${reason}`);
  }

  /** True for a `ConfigFieldError`, also one from another copy of this package. */
  static isInstance(error: unknown): error is ConfigFieldError {
    return error instanceof Error && error.name === 'ConfigFieldError' && 'field' in error;
  }
}
