import { pythonStrip } from './python-text';

const TAG_PATTERNS = new Map<string, RegExp>();

/**
 * The reference code's tag extraction: the first `<tag>…</tag>` whose content has no line break
 * (Python `re.search('<tag>(.*?)</tag>')` without DOTALL), trimmed (Python `strip()`) and
 * lower-cased. Undefined when there is no such tag.
 *
 * @example
 * tagValue('<think>…</think><answer> Yes </answer>', 'answer'); // 'yes'
 */
export function tagValue(text: string, tag: string): string | undefined {
  let pattern = TAG_PATTERNS.get(tag);
  if (!pattern) {
    // Python's `.` excludes only "\n"; JavaScript's also excludes \r, U+2028 and U+2029.
    pattern = new RegExp(`<${tag}>([^\\n]*?)</${tag}>`);
    TAG_PATTERNS.set(tag, pattern);
  }
  const match = pattern.exec(text);
  return match ? pythonStrip(match[1] as string).toLowerCase() : undefined;
}

/**
 * The ground-truth answer of a solution: its `<answer>` tag, or the whole trimmed, lower-cased
 * text when it has none.
 *
 * @example
 * solutionAnswer('<answer>No</answer>'); // 'no'
 * solutionAnswer(' Yes '); // 'yes'
 */
export function solutionAnswer(solution: string): string {
  // Every reward of a batch asks for the same solution in turn (and a GRPO group shares one),
  // so the last answer is kept.
  if (solution !== lastSolution) {
    lastAnswer = tagValue(solution, 'answer') ?? pythonStrip(solution).toLowerCase();
    lastSolution = solution;
  }
  return lastAnswer;
}
let lastSolution: string | undefined;
let lastAnswer = '';
