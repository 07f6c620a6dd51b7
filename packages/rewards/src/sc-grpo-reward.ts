import type { CompletionInput } from './completion';
import type { RewardScorer } from './reward-registry';
import { createRewardRegistry } from './sc-grpo-rewards';

/**
 * - `paper`: R = R_c + R_a + 1[yes]·(R_l + R_t), with R_l and R_t counted only when the answer is
 *   correct (paper eq. 9).
 * - `reference`: the released code, R = R_c + accuracy, accuracy = R_a for `no`, (R_t + R_l)/2 + R_a
 *   for `yes` with R_t and R_l counted whenever both tags are present.
 */
export type RewardPreset = 'paper' | 'reference';

/** Per-component multipliers; each defaults to 1. Set one to 0 to switch a component off. */
export interface RewardWeights {
  consistency?: number;
  answer?: number;
  location?: number;
  type?: number;
}

/** Options of {@link scGrpoReward}: preset, weights, grid size. */
export interface ScGrpoRewardOptions {
  /** Default `paper`. */
  preset?: RewardPreset;
  weights?: RewardWeights;
  /** Grid side for the location reward; default 3. */
  gridSize?: number;
}

/** Each component's raw value (before weights); location and type are 0 where they do not count. */
export interface RewardComponents {
  consistency: number;
  answer: number;
  location: number;
  type: number;
}

/** The weighted total and the raw components. */
export interface ScGrpoReward {
  total: number;
  components: RewardComponents;
}

// scGrpoReward is called once per completion in hot loops; a scorer per distinct option set is
// built once. Callers pass a handful of option sets, so the cache stays small; it is cleared if not.
const builtIn = createRewardRegistry();
const scorers = new Map<string, RewardScorer>();

/** The built-in rewards' scorer for these options (cached). */
export function builtInScorer(options: ScGrpoRewardOptions = {}): RewardScorer {
  const key = `${options.preset ?? 'paper'}|${options.gridSize ?? 3}|${options.weights ? JSON.stringify(options.weights) : ''}`;
  let scorer = scorers.get(key);
  if (!scorer) {
    if (scorers.size >= 64) scorers.clear();
    scorer = builtIn.scorer({ preset: options.preset ?? 'paper', gridSize: options.gridSize ?? 3, ...(options.weights ? { weights: options.weights as Record<string, number> } : {}) });
    scorers.set(key, scorer);
  }
  return scorer;
}

/**
 * The SC-GRPO total reward and its components for one completion: the four rewards of
 * {@link createRewardRegistry} under one of its presets. For a batch, or with rewards of your own,
 * use a registry's scorer.
 *
 * @example
 * scGrpoReward(
 *   '<think>A line.</think><location>top left</location><type>scratch</type><answer>yes</answer>',
 *   '<location>top left</location><type>scratch</type><answer>Yes</answer>',
 * ); // { total: 4, components: { consistency: 1, answer: 1, location: 1, type: 1 } }
 */
export function scGrpoReward(completion: CompletionInput, solution: string, options: ScGrpoRewardOptions = {}): ScGrpoReward {
  const { totals, components } = builtInScorer(options).scoreSync([completion], [solution]);
  return {
    total: totals[0] as number,
    components: {
      consistency: components.consistency?.[0] as number,
      answer: components.answer?.[0] as number,
      location: components.location?.[0] as number,
      type: components.type?.[0] as number,
    },
  };
}
