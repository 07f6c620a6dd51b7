import { type CompletionInput, completionText } from './completion';
import { solutionAnswer } from './tag-value';

// The reference regexes (Python `re.fullmatch`, DOTALL):
//   normal     ^(?!.*<location>)(?!.*<type>).*<think>.*?</think><answer>.*?</answer>.*$
//   anomalous  .*<think>.*?</think><location>.*?</location><type>.*?</type><answer>.*?</answer>.*
// Each holds exactly when the literal pieces occur in order without overlap (every `.*`
// absorbs the rest), and taking each piece at its earliest position after the previous one
// decides that in linear time. The regexes themselves backtrack badly on long adversarial text.
const NORMAL_PIECES = ['<think>', '</think><answer>', '</answer>'];
const ANOMALOUS_PIECES = ['<think>', '</think><location>', '</location><type>', '</type><answer>', '</answer>'];

function piecesInOrder(text: string, pieces: readonly string[]): boolean {
  let from = 0;
  for (const piece of pieces) {
    const at = text.indexOf(piece, from);
    if (at < 0) return false;
    from = at + piece.length;
  }
  return true;
}

/** True when the text matches the reference *normal* pattern regex. */
export function matchesNormalPattern(text: string): boolean {
  return !text.includes('<location>') && !text.includes('<type>') && piecesInOrder(text, NORMAL_PIECES);
}

/** True when the text matches the reference *anomalous* pattern regex. */
export function matchesAnomalousPattern(text: string): boolean {
  return piecesInOrder(text, ANOMALOUS_PIECES);
}

/**
 * R_c ∈ {0, 1}: 1 when the completion matches the pattern the ground truth calls for — the normal
 * pattern for a `no` solution, the anomalous one for `yes` (docs/METHOD.md §3). Any other ground truth → 0.
 *
 * @example
 * consistencyReward('<think>ok</think><answer>no</answer>', '<answer>No</answer>'); // 1
 * consistencyReward('<think>ok</think><answer>no</answer>', '<location>top</location><type>hole</type><answer>Yes</answer>'); // 0
 */
export function consistencyReward(completion: CompletionInput, solution: string): number {
  const text = completionText(completion);
  const truth = solutionAnswer(solution);
  if (truth === 'no') return matchesNormalPattern(text) ? 1 : 0;
  if (truth === 'yes') return matchesAnomalousPattern(text) ? 1 : 0;
  return 0;
}
