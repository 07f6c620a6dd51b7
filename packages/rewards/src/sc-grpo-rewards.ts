import { answerReward } from './answer-reward';
import { consistencyReward } from './consistency-reward';
import { locationReward } from './location-reward';
import { type RewardDefinition, type RewardPresetDefinition, RewardRegistry } from './reward-registry';
import { solutionAnswer, tagValue } from './tag-value';
import { typeReward } from './type-reward';

/**
 * R_l of one completion where it can count: the solution says `yes` and both sides carry a
 * `<location>` tag; otherwise undefined. Whether the answer must also be right is the preset's
 * business (a gate).
 */
export function taggedLocationReward(text: string, solution: string, gridSize = 3): number | undefined {
  if (solutionAnswer(solution) !== 'yes') return undefined;
  const predicted = tagValue(text, 'location');
  const truth = tagValue(solution, 'location');
  return predicted !== undefined && truth !== undefined ? locationReward(predicted, truth, { gridSize }) : undefined;
}

/** R_t of one completion where it can count, as {@link taggedLocationReward} for `<type>`. */
export function taggedTypeReward(text: string, solution: string): number | undefined {
  if (solutionAnswer(solution) !== 'yes') return undefined;
  const predicted = tagValue(text, 'type');
  const truth = tagValue(solution, 'type');
  return predicted !== undefined && truth !== undefined ? typeReward(predicted, truth) : undefined;
}

/** The four SC-GRPO rewards (docs/METHOD.md §3), each with default weight 1. */
export const SC_GRPO_REWARDS: readonly RewardDefinition[] = [
  {
    name: 'consistency',
    description: 'R_c: 1 when the output follows the pattern its ground truth calls for (think+answer for no; think, location, type, answer for yes)',
    defaultWeight: 1,
    score: ({ completions, solutions }) => completions.map((c, i) => consistencyReward(c, solutions[i] as string)),
  },
  {
    name: 'answer',
    description: 'R_a: 1 when the first <answer> equals the ground truth yes/no',
    defaultWeight: 1,
    score: ({ completions, solutions }) => completions.map((c, i) => answerReward(c, solutions[i] as string)),
  },
  {
    name: 'location',
    description: 'R_l: 1 when <location> falls in the ground truth grid cell; for yes ground truths with both tags, else 0',
    defaultWeight: 1,
    score: ({ completions, solutions, gridSize }) => completions.map((c, i) => taggedLocationReward(c, solutions[i] as string, gridSize) ?? 0),
  },
  {
    name: 'type',
    description: 'R_t: the multi-level defect type match (1, 0.85, similarity, 0.3, 0); for yes ground truths with both tags, else 0',
    defaultWeight: 1,
    score: ({ completions, solutions }) => completions.map((c, i) => taggedTypeReward(c, solutions[i] as string) ?? 0),
  },
];

/** The two built-in weightings of {@link SC_GRPO_REWARDS} (docs/METHOD.md §3.5). */
export const SC_GRPO_PRESETS: readonly RewardPresetDefinition[] = [
  {
    name: 'paper',
    description: "the paper's eq. 9: R_c + R_a + 1[yes]·(R_l + R_t), location and type counted only where the answer is right",
    gates: { location: 'answer', type: 'answer' },
  },
  {
    name: 'reference',
    description: "the authors' released code: R_c + R_a + (R_l + R_t)/2, location and type counted whenever both tags are present",
    weights: { location: 0.5, type: 0.5 },
  },
];

/**
 * A new registry holding the four SC-GRPO rewards and the `paper` and `reference` presets, to
 * score with or to extend.
 *
 * @example
 * const scorer = createRewardRegistry().scorer({ preset: 'reference' });
 * scorer.scoreSync(['<think>…</think><answer>no</answer>'], ['<answer>No</answer>']).totals; // [2]
 */
export function createRewardRegistry(): RewardRegistry {
  const registry = new RewardRegistry();
  for (const definition of SC_GRPO_REWARDS) registry.register(definition);
  for (const preset of SC_GRPO_PRESETS) registry.registerPreset(preset);
  return registry;
}
