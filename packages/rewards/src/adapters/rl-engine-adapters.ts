import type { CompletionInput } from '../completion';
import type { RewardScorer, ScoredBatch } from '../reward-registry';
import { type ScGrpoRewardOptions, builtInScorer } from '../sc-grpo-reward';

// Thin adapters with the call shapes RL engines use, so a TypeScript trainer (or the HTTP server
// that Python engines call) can plug the rewards in without glue code. Each takes either the
// built-in rewards' options or a scorer of any registry, whose reward names become the keys.

/** The built-in four rewards with these options, or a scorer from a registry of your own. */
export type AdapterRewards = ScGrpoRewardOptions | RewardScorer;

function scorerOf(rewards: AdapterRewards): RewardScorer {
  return 'scoreSync' in rewards ? rewards : builtInScorer(rewards);
}

/** A TRL / VLM-R1 style reward function: one score per completion, `solution` a dataset column. */
export type BatchRewardFunction = (completions: readonly CompletionInput[], solution: readonly string[], ...rest: unknown[]) => number[];

/** One function per reward name, plus `total`, in TRL's `reward_funcs` shape. */
export type TrlRewardFunctions = Record<string, BatchRewardFunction> & { total: BatchRewardFunction };

/**
 * One function per reward, with TRL's `(completions, solution, **kwargs) → number[]` signature.
 * Each returns its component exactly as the composite counts it (under `paper`, location and type
 * are 0 where the answer is wrong), so the components weighted as the scorer weights them sum to
 * `total`. Synchronous rewards only; for async ones call the scorer's `score`.
 *
 * @example
 * const { consistency, answer, location, type } = trlRewardFunctions();
 * answer(['<think>…</think><answer>no</answer>'], ['<answer>No</answer>']); // [1]
 */
export function trlRewardFunctions(rewards: AdapterRewards = {}): TrlRewardFunctions {
  const scorer = scorerOf(rewards);
  const component =
    (pick: (scored: ScoredBatch) => number[]): BatchRewardFunction =>
    (completions, solution) =>
      pick(scorer.scoreSync(completions, solution));
  const functions: Record<string, BatchRewardFunction> = {};
  for (const { name } of scorer.components) functions[name] = component((s) => s.components[name] as number[]);
  functions.total = component((s) => s.totals);
  return functions as TrlRewardFunctions;
}

function row(scored: ScoredBatch, i: number): Record<string, number> {
  return Object.fromEntries(Object.entries(scored.components).map(([name, values]) => [name, values[i] as number]));
}

/** verl's `compute_score` result: `score` plus each component, for its logs. */
export type VerlScore = Record<string, number> & { score: number };

/**
 * verl's `compute_score(data_source, solution_str, ground_truth, extra_info)`.
 *
 * @example
 * verlComputeScore('iad-r1', '<think>…</think><answer>no</answer>', '<answer>No</answer>').score; // 2
 */
export function verlComputeScore(_dataSource: string, solutionStr: string, groundTruth: string, _extraInfo?: unknown, rewards: AdapterRewards = {}): VerlScore {
  const scored = scorerOf(rewards).scoreSync([solutionStr], [groundTruth]);
  return { score: scored.totals[0] as number, ...row(scored, 0) };
}

/** One input of EasyR1's batch reward function. */
export interface EasyR1RewardInput {
  response: string;
  ground_truth: string;
  response_length?: number;
}

/** One EasyR1 result: `overall` plus each component, which it logs. */
export type EasyR1Score = Record<string, number> & { overall: number };

/**
 * EasyR1's batch reward function: inputs `{response, ground_truth}` → `{overall, …components}`.
 *
 * @example
 * easyR1ComputeScore([{ response: '…', ground_truth: '<answer>No</answer>' }])[0].overall;
 */
export function easyR1ComputeScore(inputs: readonly EasyR1RewardInput[], rewards: AdapterRewards = {}): EasyR1Score[] {
  const scored = scorerOf(rewards).scoreSync(
    inputs.map((input) => input.response),
    inputs.map((input) => input.ground_truth),
  );
  return scored.totals.map((overall, i) => ({ overall, ...row(scored, i) }));
}
