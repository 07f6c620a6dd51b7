import { IadR1Error } from '@iad-r1/errors';
/**
 * A checkpoint that cannot be read as asked: names the file and, when one is at fault, the tensor
 * (missing, unexpected shape, unsupported dtype, truncated data, a bad header).
 */
export class CheckpointError extends IadR1Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor !== undefined ? `tensor ${tensor}: ` : ''}${reason}`);
  }
}
