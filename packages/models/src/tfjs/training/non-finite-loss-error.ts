import { IadR1Error } from '@iad-r1/errors';
/** Thrown when a training loss becomes NaN or infinite; names the step so the run can be inspected. */
export class NonFiniteLossError extends IadR1Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`loss became ${loss} at step ${step}; lower the learning rate or check the data of that step`);
  }
}
