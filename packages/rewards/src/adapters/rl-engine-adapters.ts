import type { CompletionInput } from '../completion';
import { type RewardComponents, type ScGrpoRewardOptions, scGrpoReward } from '../sc-grpo-reward';

// Thin adapters with the call shapes RL engines use, so a TypeScript trainer (or the HTTP server
// that Python engines call) can plug the rewards in without glue code.

/** A TRL / VLM-R1 style reward function: one score per completion, `solution` a dataset column. */
export type BatchRewardFunction = (completions: readonly CompletionInput[], solution: readonly string[], ...rest: unknown[]) => number[];

/** Named per-component reward functions, plus `total`, in TRL's `reward_funcs` shape. */
export interface TrlRewardFunctions {
  consistency: BatchRewardFunction;
  answer: BatchRewardFunction;
  location: BatchRewardFunction;
  type: BatchRewardFunction;
  total: BatchRewardFunction;
}

function checkLengths(completions: readonly unknown[], solution: readonly unknown[]): void {
  if (completions.length !== solution.length) {
    throw new RangeError(`got ${completions.length} completions but ${solution.length} solutions`);
  }
}

/**
 * One function per reward component, with TRL's `(completions, solution, **kwargs) → number[]`
 * signature. Each returns its component exactly as the composite counts it (location and type are
 * 0 for `no` solutions), so summing them with weight 1 gives the `paper` total.
 *
 * @example
 * const { consistency, answer, location, type } = trlRewardFunctions();
 * answer(['<think>…</think><answer>no</answer>'], ['<answer>No</answer>']); // [1]
 */
export function trlRewardFunctions(options: ScGrpoRewardOptions = {}): TrlRewardFunctions {
  const component =
    (name: keyof RewardComponents | 'total'): BatchRewardFunction =>
    (completions, solution) => {
      checkLengths(completions, solution);
      return completions.map((completion, i) => {
        const reward = scGrpoReward(completion, solution[i] as string, options);
        return name === 'total' ? reward.total : reward.components[name];
      });
    };
  return {
    consistency: component('consistency'),
    answer: component('answer'),
    location: component('location'),
    type: component('type'),
    total: component('total'),
  };
}

/** verl's `compute_score` result: `score` plus each component, for its logs. */
export interface VerlScore extends RewardComponents {
  score: number;
}

/**
 * verl's `compute_score(data_source, solution_str, ground_truth, extra_info)`.
 *
 * @example
 * verlComputeScore('iad-r1', '<think>…</think><answer>no</answer>', '<answer>No</answer>').score; // 2
 */
export function verlComputeScore(
  _dataSource: string,
  solutionStr: string,
  groundTruth: string,
  _extraInfo?: unknown,
  options: ScGrpoRewardOptions = {},
): VerlScore {
  const { total, components } = scGrpoReward(solutionStr, groundTruth, options);
  return { score: total, ...components };
}

/** One input of EasyR1's batch reward function. */
export interface EasyR1RewardInput {
  response: string;
  ground_truth: string;
  response_length?: number;
}

/** One EasyR1 result: `overall` plus metrics it logs. */
export interface EasyR1Score extends RewardComponents {
  overall: number;
}

/**
 * EasyR1's batch reward function: inputs `{response, ground_truth}` → `{overall, …components}`.
 *
 * @example
 * easyR1ComputeScore([{ response: '…', ground_truth: '<answer>No</answer>' }])[0].overall;
 */
export function easyR1ComputeScore(inputs: readonly EasyR1RewardInput[], options: ScGrpoRewardOptions = {}): EasyR1Score[] {
  return inputs.map((input) => {
    const { total, components } = scGrpoReward(input.response, input.ground_truth, options);
    return { overall: total, ...components };
  });
}
