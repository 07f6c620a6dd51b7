import { type CompletionInput, completionText } from './completion';
import { solutionAnswer, tagValue } from './tag-value';

/**
 * R_a ∈ {0, 1}: 1 when the completion's first `<answer>` tag (trimmed, lower-cased) equals the
 * ground truth, which must be `yes` or `no`. A missing answer is wrong; so is `yes.`.
 *
 * @example
 * answerReward('<think>…</think><answer> YES </answer>', '<answer>Yes</answer>'); // 1
 */
export function answerReward(completion: CompletionInput, solution: string): number {
  const truth = solutionAnswer(solution);
  if (truth !== 'yes' && truth !== 'no') return 0;
  return tagValue(completionText(completion), 'answer') === truth ? 1 : 0;
}
