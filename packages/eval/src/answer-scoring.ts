import { tagValue } from '@iad-r1/rewards';
import type { AnswerRecord } from './answer-record';

/**
 * How a response is read when scoring.
 * - `iad-r1` (default): our extraction (docs/METHOD.md §6), stored in each record's `answer`.
 * - `authors`: the authors' evaluation scripts: the first `<answer>…</answer>` that does not cross
 *   a line break, trimmed and lower-cased, matched to an option exactly, then by substring either
 *   way, in option order; anything else is unreadable.
 */
export type AnswerParsing = 'iad-r1' | 'authors';
export const ANSWER_PARSINGS: readonly AnswerParsing[] = ['iad-r1', 'authors'];

/**
 * What an unreadable answer does to the counts: `wrong` (default) keeps it as a wrong answer;
 * `drop` leaves it out of every count, as MMAD's scorer does with answers it cannot read.
 */
export type UnparsedPolicy = 'wrong' | 'drop';
export const UNPARSED_POLICIES: readonly UnparsedPolicy[] = ['wrong', 'drop'];

/** The scoring rules of a summary; recorded in `summary.json`. */
export interface AnswerScoring {
  parsing: AnswerParsing;
  unparsed: UnparsedPolicy;
}

export const DEFAULT_SCORING: AnswerScoring = { parsing: 'iad-r1', unparsed: 'wrong' };

/** One answer option of the yes/no question, as MMAD manifests list them (`A: Yes`, `B: No`). */
export interface AnswerOption {
  letter: string;
  text: string;
  answer: 'yes' | 'no';
}

/** The options of the anomaly-detection question in MMAD-style manifests, in their order. */
export const YES_NO_OPTIONS: readonly AnswerOption[] = [
  { letter: 'A', text: 'Yes', answer: 'yes' },
  { letter: 'B', text: 'No', answer: 'no' },
];

/** The choice letters MMAD's scorer keeps; any other `gpt_answer` it drops. */
const CHOICE_LETTERS = new Set(['A', 'B', 'C', 'D', 'E']);

/**
 * A record as the scoring rules read it. `invalidChoice` marks an answer read as a choice that is
 * no option — the authors' `E` — which their scorer counts as wrong and never drops.
 */
export type ScoredAnswer = AnswerRecord & { invalidChoice?: true };

// Python's str.strip('.'): dots off both ends.
const stripDots = (text: string): string => text.replace(/^\.+|\.+$/g, '');

/**
 * The yes/no the authors' evaluation scripts read from a response, or undefined for their `E`
 * (unreadable). Their quirks are kept: a letter `A` is not an option text, so it is unreadable;
 * an empty `<answer></answer>` is a substring of the first option and reads as Yes; "not sure"
 * contains "no".
 *
 * @example
 * authorsAnswer('<answer>Yes.</answer>'); // 'yes' (substring: "yes." contains "yes")
 * authorsAnswer('<answer>\nno\n</answer>'); // undefined: the tag crosses a line break
 */
export function authorsAnswer(response: string, options: readonly AnswerOption[] = YES_NO_OPTIONS): 'yes' | 'no' | undefined {
  const content = tagValue(response, 'answer');
  if (content === undefined) return undefined;
  for (const option of options) if (content === stripDots(option.text.toLowerCase())) return option.answer;
  for (const option of options) {
    const clean = stripDots(option.text.toLowerCase()).trim();
    if (clean.includes(content) || content.includes(clean)) return option.answer;
  }
  return undefined;
}

/**
 * A record as the scoring rules read it. With `iad-r1` it is the record as written. With
 * `authors` the response is read again as their scripts read it — an unmatched answer becomes
 * their `E`, wrong and never dropped — except for imported answers, whose `gpt_answer` the
 * authors' script has already read: a letter is taken as it is (`E` or a letter that is no option:
 * an invalid choice) and anything else is what MMAD's scorer cannot read (dropped with `drop`).
 *
 * @example
 * scoredAnswer(record, { parsing: 'authors', unparsed: 'wrong' }).correct;
 */
export function scoredAnswer(record: AnswerRecord, scoring: AnswerScoring = DEFAULT_SCORING): ScoredAnswer {
  if (scoring.parsing === 'iad-r1') return record;
  const judged = (answer: 'yes' | 'no' | undefined, invalidChoice: boolean): ScoredAnswer => ({
    ...record,
    answer: answer ?? null,
    correct: answer !== undefined && (answer === 'yes') === (record.label === 'anomalous'),
    ...(invalidChoice ? { invalidChoice: true as const } : {}),
  });
  if (record.options) {
    const letter = record.response.trim();
    if (!CHOICE_LETTERS.has(letter)) return judged(undefined, false);
    const option = record.options.find((o) => o.letter === letter);
    return judged(option?.answer, option === undefined);
  }
  const answer = authorsAnswer(record.response);
  return judged(answer, answer === undefined);
}
