import { type Command, InvalidArgumentError, Option } from 'commander';
import type { LoraSettingsInput } from '../lora/lora-settings';

const positiveInteger = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
};
const share = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1)');
  return n;
};
const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const pattern = (value: string, previous: RegExp[] = []): RegExp[] => {
  try {
    return [...previous, new RegExp(value)];
  } catch (error) {
    throw new InvalidArgumentError(`not a regular expression (${(error as Error).message})`);
  }
};

/**
 * Adds the options every trainer CLI shares for what trains: LoRA (`--lora-rank`, `--lora-alpha`,
 * `--lora-dropout`, `--lora-targets`, `--lora-seed`) and freezing (`--freeze-vision`, `--freeze`).
 *
 * @example
 * addTrainedWeightsOptions(program.command('train'));
 */
export function addTrainedWeightsOptions(command: Command): Command {
  return command
    .addOption(new Option('--lora-rank <r>', 'train LoRA adapters of this rank instead of every weight').argParser(positiveInteger))
    .addOption(new Option('--lora-alpha <a>', 'LoRA scale α (updates × α/r); default: the rank').argParser(positive))
    .addOption(new Option('--lora-dropout <p>', 'dropout on the adapters\' input').argParser(share).default(0))
    .option('--lora-targets <modules>', "linear layers to adapt: comma-separated names (PEFT's target_modules: q_proj,v_proj) or /regex/ over whole module names; default: the model's language-model linear layers")
    .addOption(new Option('--lora-seed <n>', 'seed of the adapters\' initialisation').argParser(Number).default(0))
    .option('--freeze-vision', 'keep the vision tower and projector fixed')
    .addOption(new Option('--freeze <regex>', 'keep the weights whose names match fixed (repeatable)').argParser(pattern));
}

/** The LoRA settings the options of {@link addTrainedWeightsOptions} ask for, or undefined without `--lora-rank`. */
export function loraSettingsFromOptions(options: { loraRank?: number; loraAlpha?: number; loraDropout?: number; loraTargets?: string; loraSeed?: number }): LoraSettingsInput | undefined {
  if (options.loraRank === undefined) {
    if (options.loraAlpha !== undefined || options.loraTargets !== undefined) throw new InvalidArgumentError('--lora-alpha and --lora-targets need --lora-rank');
    return undefined;
  }
  const targets = options.loraTargets;
  const targetModules = targets === undefined ? undefined : /^\/.*\/$/.test(targets) ? targets.slice(1, -1) : targets.split(',').map((t) => t.trim()).filter(Boolean);
  return {
    rank: options.loraRank,
    ...(options.loraAlpha !== undefined ? { alpha: options.loraAlpha } : {}),
    dropout: options.loraDropout ?? 0,
    ...(targetModules !== undefined ? { targetModules } : {}),
    seed: options.loraSeed ?? 0,
  };
}
