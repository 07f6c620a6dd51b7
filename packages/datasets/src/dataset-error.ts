import { IadR1Error } from '@iad-r1/errors';
/**
 * Thrown when a dataset on disk is not as expected. Names the path at fault (and the line of a
 * list file when there is one) and says what is wrong.
 */
export class DatasetError extends IadR1Error {
  override readonly name = 'DatasetError';
  readonly path: string;
  readonly reason: string;
  readonly line: number | undefined;

  constructor(path: string, reason: string, line?: number) {
    super(`${path}${line !== undefined ? `:${line}` : ''}: ${reason}`);
    this.path = path;
    this.reason = reason;
    this.line = line;
  }
}
