import type { LoraModule } from '../nn/weights';
import { tf } from '../tf';
import type { TrainableModel } from '../trainable/trainable-model';
import { type LoraSettings, type LoraSettingsInput, isLoraTarget, loraScale, loraSettingsSchema } from './lora-settings';
import { IadR1Error } from '@iad-r1/errors';

/** Thrown when no linear layer of the model matches LoRA's target modules. */
export class LoraTargetError extends IadR1Error {
  override readonly name = 'LoraTargetError';
  constructor(
    readonly targets: readonly string[] | string,
    readonly available: readonly string[],
  ) {
    super(`no linear layer matches LoRA target modules ${JSON.stringify(targets)}; the model's linear layers end in: ${[...new Set(available.map((m) => m.split('.').at(-1)))].join(', ')}`);
  }
}

let adapterSeeds = 0;

/**
 * Attaches LoRA adapters to the model's linear layers that match the targets (default: the
 * model's `defaultLoraTargets`, its language model's linear layers). Each adapted layer computes
 * x·W + (α/r)·dropout(x)·A·B with A [in, r] drawn as PEFT draws it (uniform ±1/√in) and B = 0, so
 * the model's outputs are unchanged until training moves B. From then on the model's trainable
 * variables are the adapters only; the base stays frozen. Returns the adapted module names.
 *
 * @example
 * applyLora(model, { rank: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
 */
export function applyLora(model: TrainableModel, input: LoraSettingsInput): string[] {
  const parsed = loraSettingsSchema.parse(input);
  if (model.weights.lora.size > 0) throw new RangeError('this model already has LoRA adapters: train them as they are (leave out `lora` in a trainer), or merge them first (mergeLora)');
  const settings: LoraSettings = { ...parsed, alpha: parsed.alpha ?? parsed.rank, targetModules: parsed.targetModules ?? (typeof model.defaultLoraTargets === 'string' ? model.defaultLoraTargets : [...model.defaultLoraTargets]) };
  const linears = model.linearModules();
  const chosen = linears.filter((m) => isLoraTarget(m.module, settings.targetModules));
  if (chosen.length === 0) throw new LoraTargetError(settings.targetModules, linears.map((m) => m.module));
  const scale = loraScale(settings);
  const run = ++adapterSeeds;
  chosen.forEach((m, i) => {
    const limit = 1 / Math.sqrt(m.inFeatures);
    const seed = (settings.seed * 7919 + i * 104729 + 1) >>> 0;
    const name = `${model.weights.prefix}lora${run}/${m.module}`;
    const a = tf.tidy(() => tf.variable(tf.randomUniform([m.inFeatures, settings.rank], -limit, limit, 'float32', seed), true, `${name}.lora_A`));
    const b = tf.tidy(() => tf.variable(tf.zeros([settings.rank, m.outFeatures]), true, `${name}.lora_B`));
    model.weights.lora.set(m.module, { a, b, scale, dropout: settings.dropout });
  });
  model.weights.loraSettings = settings;
  return chosen.map((m) => m.module);
}

/** What an adapter adds to its layer's weight [in, out]: scale · A · B. */
export function loraUpdate(adapter: LoraModule): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.matMul(adapter.a, adapter.b), adapter.scale));
}

/**
 * Folds every adapter into its layer's weight (W ← W + scale·A·B) and removes the adapters: the
 * model then computes the same outputs with plain weights, and trains them all again.
 */
export function mergeLora(model: TrainableModel): void {
  for (const [module, adapter] of model.weights.lora) {
    const weight = model.weights.get(`${module}.weight`);
    tf.tidy(() => weight.assign(tf.add(weight, loraUpdate(adapter))));
    tf.dispose([adapter.a, adapter.b]);
  }
  model.weights.lora.clear();
  model.weights.loraSettings = undefined;
}
