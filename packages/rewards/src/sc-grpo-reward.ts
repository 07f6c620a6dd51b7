import { type CompletionInput, completionText } from './completion';
import { consistencyReward } from './consistency-reward';
import { locationReward } from './location-reward';
import { referenceAccuracyParts } from './reference-accuracy-reward';
import { solutionAnswer, tagValue } from './tag-value';
import { typeReward } from './type-reward';

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

/**
 * The SC-GRPO total reward and its components for one completion.
 *
 * @example
 * scGrpoReward(
 *   '<think>A line.</think><location>top left</location><type>scratch</type><answer>yes</answer>',
 *   '<location>top left</location><type>scratch</type><answer>Yes</answer>',
 * ); // { total: 4, components: { consistency: 1, answer: 1, location: 1, type: 1 } }
 */
export function scGrpoReward(completion: CompletionInput, solution: string, options: ScGrpoRewardOptions = {}): ScGrpoReward {
  const text = completionText(completion);
  const gridSize = options.gridSize ?? 3;
  const w = { consistency: 1, answer: 1, location: 1, type: 1, ...options.weights };
  const consistency = consistencyReward(text, solution);

  if ((options.preset ?? 'paper') === 'reference') {
    const parts = referenceAccuracyParts(text, solution, gridSize);
    const components = { consistency, answer: parts.answer, location: parts.location ?? 0, type: parts.type ?? 0 };
    const accuracy =
      parts.truth === 'yes'
        ? (w.type * components.type + w.location * components.location) / 2 + w.answer * components.answer
        : w.answer * components.answer;
    return { total: w.consistency * consistency + accuracy, components };
  }

  const truth = solutionAnswer(solution);
  const valid = truth === 'yes' || truth === 'no';
  const answer = valid && tagValue(text, 'answer') === truth ? 1 : 0;
  let location = 0;
  let type = 0;
  if (truth === 'yes' && answer === 1) {
    const predictedLocation = tagValue(text, 'location');
    const trueLocation = tagValue(solution, 'location');
    if (predictedLocation !== undefined && trueLocation !== undefined) {
      location = locationReward(predictedLocation, trueLocation, { gridSize });
    }
    const predictedType = tagValue(text, 'type');
    const trueType = tagValue(solution, 'type');
    if (predictedType !== undefined && trueType !== undefined) type = typeReward(predictedType, trueType);
  }
  const components = { consistency, answer, location, type };
  const total = w.consistency * consistency + w.answer * answer + (truth === 'yes' ? w.location * location + w.type * type : 0);
  return { total, components };
}
