import { IadR1Error } from '@iad-r1/errors';

/** An optional peer dependency (sharp, a TensorFlow.js backend) that a feature needs is not installed. */
export class MissingDependencyError extends IadR1Error {
  override readonly name = 'MissingDependencyError';
  constructor(
    readonly dependency: string,
    readonly neededFor: string,
    hint = `npm install ${dependency}`,
  ) {
    super(`${neededFor} needs ${dependency} (an optional peer dependency): ${hint}`);
  }
}

/** No TensorFlow.js backend could start; `skipped` says why each was passed over. */
export class BackendUnavailableError extends IadR1Error {
  override readonly name = 'BackendUnavailableError';
  constructor(readonly skipped: ReadonlyArray<{ backend: string; reason: string }>) {
    super(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
  }
}

/** An image given to a model cannot be decoded: names the file (or `image` for in-memory data). */
export class ImageDecodeError extends IadR1Error {
  override readonly name = 'ImageDecodeError';
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`${image}: ${reason}`);
  }
}
