import type { TestPromptName } from '@iad-r1/cot-schema';

/** How an answer is read: from the `<answer>` tag (models trained to emit it), or from free text. */
export type AnswerStyle = 'tagged' | 'free';

/** Prompt families whose models answer in `<answer>` tags. */
export function answerStyleOf(prompt: TestPromptName): AnswerStyle {
  return prompt === 'iad-r1' || prompt === 'anomaly-r1' ? 'tagged' : 'free';
}

function wordToAnswer(word: string): 'yes' | 'no' | undefined {
  const w = word.trim().toLowerCase().replace(/^[("'\s]+|[)"'.!,:;\s]+$/g, '');
  if (w === 'yes' || w === 'a') return 'yes';
  if (w === 'no' || w === 'b') return 'no';
  return undefined;
}

/**
 * The yes/no a model gave (docs/METHOD.md §6), or undefined when it gave none (counted as wrong).
 * - `tagged`: the content of the first `<answer>…</answer>`: yes/no, or an option letter A (= Yes) / B (= No).
 * - `free`: a leading yes/no or option letter (`Yes.`, `B`, `(A)`, `Answer: no`), else the only one of
 *   the words yes/no that occurs; text inside `<think>` is ignored.
 *
 * @example
 * extractAnswer('<think>…</think><answer>Yes</answer>', 'tagged'); // 'yes'
 * extractAnswer('No, the surface is clean.', 'free'); // 'no'
 * extractAnswer('B', 'free'); // 'no'
 */
export function extractAnswer(text: string, style: AnswerStyle): 'yes' | 'no' | undefined {
  if (style === 'tagged') {
    const tag = /<answer>([\s\S]*?)<\/answer>/.exec(text);
    return tag ? wordToAnswer(tag[1] as string) : undefined;
  }
  const visible = text.replace(/<think>[\s\S]*?<\/think>/g, ' ').trim();
  const leadingWord = /^(?:answer\s*[:：]\s*)?(yes|no)\b/i.exec(visible);
  if (leadingWord) return wordToAnswer(leadingWord[1] as string);
  // An option letter only when it stands alone or is followed by punctuation: "A crack…" is prose.
  const leadingLetter = /^(?:answer\s*[:：]\s*)?\(?([ab])(?:\)|[.:]|\s*$)/i.exec(visible);
  if (leadingLetter) return wordToAnswer(leadingLetter[1] as string);
  const hasYes = /\byes\b/i.test(visible);
  const hasNo = /\bno\b/i.test(visible);
  if (hasYes !== hasNo) return hasYes ? 'yes' : 'no';
  return undefined;
}
