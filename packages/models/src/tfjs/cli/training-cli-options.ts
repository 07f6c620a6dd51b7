import { type Command, InvalidArgumentError, Option } from 'commander';
import type { LoraSettingsInput } from '../lora/lora-settings';
import type { TrainedWeightsOptions } from '../training/trained-weights';

/** A commander argument parser for a finite number. */
export function numberArgument(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

/** A commander argument parser for a number above 0 (a size, a limit, a scale). */
export function positiveNumberArgument(value: string): number {
  const n = numberArgument(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** A commander argument parser for a whole number ≥ `min`. */
export function wholeNumberArgument(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

const positiveInteger = wholeNumberArgument(1);
const share = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1)');
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
    .addOption(new Option('--lora-alpha <a>', 'LoRA scale α (updates × α/r); default: the rank').argParser(positiveNumberArgument))
    .addOption(new Option('--lora-dropout <p>', 'dropout on the adapters\' input').argParser(share).default(0))
    .option('--lora-targets <modules>', "linear layers to adapt: comma-separated names (PEFT's target_modules: q_proj,v_proj) or /regex/ over whole module names; default: the model's language-model linear layers")
    .addOption(new Option('--lora-seed <n>', 'seed of the adapters\' initialisation').argParser(wholeNumberArgument(0)).default(0))
    .option('--freeze-vision', 'keep the vision tower and projector fixed')
    .addOption(new Option('--freeze <regex>', 'keep the weights whose names match fixed (repeatable)').argParser(pattern))
    .option('--export <dir>', 'write the trained model here when training ends (with LoRA: the adapter, or see --merge-lora)')
    .option('--merge-lora', 'with --export: fold the LoRA adapters into the weights (a plain checkpoint)');
}

/** The options of {@link addTrainedWeightsOptions}, as commander parses them. */
export interface TrainedWeightsCliOptions {
  loraRank?: number;
  loraAlpha?: number;
  loraDropout?: number;
  loraTargets?: string;
  loraSeed?: number;
  freezeVision?: boolean;
  freeze?: RegExp[];
  export?: string;
  mergeLora?: boolean;
}

/** What to train (LoRA, freezing), for `trainSft` / `trainGrpo`, from the options of {@link addTrainedWeightsOptions}; checks that `--merge-lora` comes with `--export`. */
export function trainedWeightsFromOptions(options: TrainedWeightsCliOptions): TrainedWeightsOptions {
  const lora = loraSettingsFromOptions(options);
  if (options.mergeLora && !options.export) throw new InvalidArgumentError('--merge-lora needs --export DIR');
  return { ...(lora ? { lora } : {}), ...(options.freezeVision ? { freezeVision: true } : {}), ...(options.freeze ? { freeze: options.freeze } : {}) };
}

/** The LoRA settings the options of {@link addTrainedWeightsOptions} ask for, or undefined without `--lora-rank`. */
export function loraSettingsFromOptions(options: TrainedWeightsCliOptions): LoraSettingsInput | undefined {
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
