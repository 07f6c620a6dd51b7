/**
 * A checkpoint that cannot be read as asked: names the file and, when one is at fault, the tensor
 * (missing, unexpected shape, unsupported dtype, truncated data, a bad header).
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor !== undefined ? `tensor ${tensor}: ` : ''}${reason}`);
  }

  /** True for a `CheckpointError`, also one from another copy of this package. */
  static isInstance(error: unknown): error is CheckpointError {
    return error instanceof Error && error.name === 'CheckpointError' && 'file' in error && 'reason' in error;
  }
}
