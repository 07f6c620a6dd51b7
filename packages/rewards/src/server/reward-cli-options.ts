import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { RewardRegistry, RewardScorer } from '../reward-registry';
import { createRewardRegistry } from '../sc-grpo-rewards';
import { registerRewardModules } from './reward-modules';

/** The reward options {@link addRewardOptions} adds, as commander parses them. */
export interface RewardCliOptions {
  preset: string;
  gridSize: number;
  weights?: Record<string, number>;
  rewardModule: string[];
}

// Which names are allowed depends on the registry, which --reward-module extends, so names are
// checked once the registry is built (by RewardRegistry.scorer), not here.
const weightsSchema = z.record(z.string(), z.number());

function parseWeights(value: string): Record<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be JSON, e.g. \'{"location":0,"type":0}\'');
  }
  const result = weightsSchema.safeParse(json);
  if (!result.success) throw new InvalidArgumentError(result.error.issues.map((i) => `${i.path.join('.') || 'weights'}: ${i.message}`).join('; '));
  return result.data;
}

function parseGridSize(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

/**
 * Adds `--preset`, `--weights`, `--grid-size` and `--reward-module` (repeatable) to a commander
 * command, so every CLI that scores (iad-r1-rewards, iad-r1-grpo) reads them alike.
 *
 * @example
 * addRewardOptions(program.command('train')).action(async (o) => {
 *   const { scorer } = await rewardScorerFromOptions(o);
 * });
 */
export function addRewardOptions(command: Command): Command {
  return command
    .addOption(new Option('--preset <preset>', "reward preset: paper (the paper's eq. 9), reference (the authors' code), or one a --reward-module adds").default('paper'))
    .addOption(new Option('--weights <json>', 'per-reward weight multipliers as JSON, e.g. \'{"type":0.5}\'').argParser(parseWeights))
    .addOption(new Option('--grid-size <n>', 'side of the location grid').argParser(parseGridSize).default(3))
    .addOption(
      new Option('--reward-module <file>', 'a JavaScript module exporting `rewards` (and optionally `presets`) to add; repeatable')
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    );
}

/**
 * The registry (built-ins plus the `--reward-module` files) and the scorer the options describe;
 * unknown presets and weight names are refused naming the registered ones.
 */
export async function rewardScorerFromOptions(options: RewardCliOptions): Promise<{ registry: RewardRegistry; scorer: RewardScorer }> {
  const registry = createRewardRegistry();
  await registerRewardModules(registry, options.rewardModule);
  const scorer = registry.scorer({ preset: options.preset, gridSize: options.gridSize, ...(options.weights ? { weights: options.weights } : {}) });
  return { registry, scorer };
}
