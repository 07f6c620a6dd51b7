import { IadR1Error } from '@iad-r1/errors';

/** A defect name the pipeline cannot map to one of the eight coarse types. */
export class UnknownDefectError extends IadR1Error {
  override readonly name = 'UnknownDefectError';
  constructor(
    readonly defect: string,
    readonly sample: string,
  ) {
    super(
      `${sample}: cannot tell the coarse type of defect ${JSON.stringify(defect)}; pass a type map ` +
        `(e.g. {"${defect}": "Scratch"}, --type-map FILE) naming one of the eight coarse types`,
    );
  }
}
