import { type CompletionInput, completionText } from './completion';
import { answerReward } from './answer-reward';
import { taggedLocationReward, taggedTypeReward } from './sc-grpo-rewards';
import { solutionAnswer } from './tag-value';

/** The parts of the reference accuracy reward, before they are combined. */
export interface ReferenceAccuracyParts {
  answer: number;
  /** R_l, or undefined when either side lacks a `<location>` tag (not counted). */
  location: number | undefined;
  /** R_t, or undefined when either side lacks a `<type>` tag (not counted). */
  type: number | undefined;
  /** The ground truth: `yes`, `no`, or anything else (which scores 0). */
  truth: string;
}

/** Computes the reference accuracy parts on already extracted text. */
export function referenceAccuracyParts(text: string, solution: string, gridSize = 3): ReferenceAccuracyParts {
  return {
    answer: answerReward(text, solution),
    location: taggedLocationReward(text, solution, gridSize),
    type: taggedTypeReward(text, solution),
    truth: solutionAnswer(solution),
  };
}

/**
 * The authors' released "accuracy" reward: for a `no` solution R_a; for a `yes` solution
 * (R_t + R_l)/2 + R_a, where R_t and R_l count whenever both completion and solution carry the tag
 * (even if the answer is wrong). A ground truth other than yes/no scores 0.
 *
 * @example
 * referenceAccuracyReward(
 *   '<think>…</think><location>top left</location><type>scratch</type><answer>no</answer>',
 *   '<location>upper left</location><type>scratch</type><answer>Yes</answer>',
 * ); // (1 + 1)/2 + 0 = 1
 */
export function referenceAccuracyReward(completion: CompletionInput, solution: string): number {
  const parts = referenceAccuracyParts(completionText(completion), solution);
  if (parts.truth !== 'yes') return parts.answer;
  return ((parts.type ?? 0) + (parts.location ?? 0)) / 2 + parts.answer;
}
