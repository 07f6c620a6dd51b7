import type { Variable } from '../tf';
import type { TrainableModel } from './trainable-model';
import { IadR1Error } from '@iad-r1/errors';

/** Which weights a trainer leaves fixed. */
export interface FreezeOptions {
  /** Keep the model's `vision` group (vision tower and projector) fixed. Default false. */
  freezeVision?: boolean;
  /** Further weights to keep fixed: exact names, or patterns tested against each weight name. */
  freeze?: ReadonlyArray<string | RegExp>;
}

/** Thrown when freezing leaves nothing to train. */
export class NothingToTrainError extends IadR1Error {
  override readonly name = 'NothingToTrainError';
  constructor(readonly architecture: string) {
    super(`every weight of the ${architecture} model is frozen; freeze less (or apply LoRA to layers that are not frozen)`);
  }
}

/**
 * The variables a trainer updates: the model's trainable ones (all base weights, or only the
 * adapters after LoRA) minus the frozen groups and patterns.
 *
 * @example
 * trainedVariables(model, { freezeVision: true }); // the decoder's weights only
 */
export function trainedVariables(model: Pick<TrainableModel, 'trainableVariables' | 'variableGroups' | 'architecture'>, options: FreezeOptions = {}): Array<[string, Variable]> {
  const patterns = [...(options.freeze ?? [])];
  if (options.freezeVision) {
    const vision = model.variableGroups.vision;
    if (!vision) throw new RangeError(`the ${model.architecture} model has no vision weights to freeze`);
    patterns.push(vision);
  }
  const frozen = (name: string): boolean => patterns.some((p) => (typeof p === 'string' ? p === name : p.test(name)));
  // An adapter belongs to the layer it adapts: freezing `vision.*` freezes its adapters too.
  const base = (name: string): string => name.replace(/\.lora_[AB]\.weight$/, '.weight');
  const kept = model.trainableVariables().filter(([name]) => !frozen(name) && !frozen(base(name)));
  if (kept.length === 0) throw new NothingToTrainError(model.architecture);
  return kept;
}
