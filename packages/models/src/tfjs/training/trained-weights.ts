import { applyLora } from '../lora/apply-lora';
import type { LoraSettingsInput } from '../lora/lora-settings';
import type { Variable } from '../tf';
import type { TrainableModel } from '../trainable/trainable-model';
import { type FreezeOptions, trainedVariables } from '../trainable/trainable-variables';
import { labelsDigest } from './example-labels';

/** How a trainer chooses what it updates: LoRA adapters or every weight, minus the frozen ones. */
export interface TrainedWeightsOptions extends FreezeOptions {
  /** Attach LoRA adapters (PEFT's meaning) and train only them. Default: full fine-tuning. */
  lora?: LoraSettingsInput;
}

/**
 * What a trainer updates, decided once at its start: LoRA attached when asked (`applyLora` refuses a
 * model that already has adapters), then the trained variables after
 * freezing, and a digest of their names — a resume must train the same weights, or the saved
 * optimiser moments would land on other ones.
 *
 * @example
 * const { variables, digest } = prepareTrainedWeights(model, { lora: { rank: 16 }, freezeVision: true });
 */
export function prepareTrainedWeights(model: TrainableModel, options: TrainedWeightsOptions): { variables: Array<[string, Variable]>; digest: string } {
  if (options.lora) applyLora(model, options.lora);
  const variables = trainedVariables(model, { freezeVision: options.freezeVision ?? false, ...(options.freeze ? { freeze: options.freeze } : {}) });
  return { variables, digest: labelsDigest(variables.map(([name]) => name)) as string };
}
