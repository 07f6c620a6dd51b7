import type { ChatMessage, VisionLanguageModel } from '@iad-r1/models';
import { matchesAnomalousPattern, matchesNormalPattern } from '@iad-r1/rewards';
import type { AnswerRecord } from './answer-record';
import { extractAnswer } from './answer-extraction';
import { percentOf } from './percent';

/**
 * True when a tagged response has the structure its own answer calls for — the consistency
 * reward's two patterns (docs/METHOD.md §3), applied to the answer the model gave rather than to the
 * ground truth: `<think>…</think><location>…</location><type>…</type><answer>…</answer>` for yes,
 * `<think>…</think><answer>…</answer>` with no location or type for no.
 *
 * @example
 * structureFitsAnswer('<think>ok</think><answer>no</answer>', 'no'); // true
 * structureFitsAnswer('<think>ok</think><answer>yes</answer>', 'yes'); // false: no location or type
 */
export function structureFitsAnswer(response: string, answer: 'yes' | 'no'): boolean {
  return answer === 'yes' ? matchesAnomalousPattern(response) : matchesNormalPattern(response);
}

/** The content of the first `<think>…</think>`, or undefined. */
export function thinkText(response: string): string | undefined {
  return /<think>([\s\S]*?)<\/think>/.exec(response)?.[1];
}

// "defect-free" and "spotless" deny a defect rather than name one.
const DEFECT_WORD = /\b(?:defect|anomal|flaw|damag|crack|scratch|dent|hole|stain|spot|tear|broke|break|missing|contaminat|deform|bent|chip|notch|fractur|punctur|perforat|debris|dirt|abrasion|discolo|residue|foreign|irregular)(?![\w-]*?(?:less|free)\b)\w*/gi;
const REGION_WORD = /\b(?:top|bottom|left|right|upper|lower|cent(?:er|re)|middle|corner|edge|border)\b/i;
const NEGATION = /\b(?:no|not|without|free\s+(?:of|from)|absence\s+of|none|nor|neither|never|lacks?)\b/i;
// A contrast ends the reach of a negation: "no cracks, but a scratch in the top left".
const CONTRAST = /\b(?:but|however|though|although|yet|except)\b/i;
// The optional word between verb and adjective ("looks slightly damaged") is never a negation;
// "is not normal" is a defect verdict of its own.
const DEFECTIVE_VERDICT = /\b(?:is|are|appears?|looks?|seems?)\s+(?:(?!not\b|no\b|never\b)\w+\s+)?(?:defective|anomalous|damaged|abnormal|broken)\b|\b(?:is|are|appears?|looks?|seems?)\s+not\s+(?:normal|intact)\b|\b(?:defects?|anomal(?:y|ies))\s+(?:is\s+|are\s+|was\s+|were\s+)?(?:detected|found|present|visible)\b/i;
const NORMAL_VERDICT = /\b(?:is|are|appears?|looks?|seems?)\s+(?:(?!not\b|no\b|never\b)\w+\s+)?(?:normal|intact|flawless|defect-free|perfect)\b|\bdefect-free\b|\bflawless\b|\b(?:every|all|each)\b[^.]*?\bmatch|\bmatch(?:es|ing)?\s+the\s+(?:reference|template|normal)/i;

type Cue = 'normal' | 'anomalous';

// The part of a sentence after its last contrast word before `at`, where a negation applies.
function negated(sentence: string, at: number): boolean {
  let scope = sentence.slice(0, at);
  const parts = scope.split(CONTRAST);
  scope = parts[parts.length - 1] ?? scope;
  return NEGATION.test(scope);
}

function sentenceCue(sentence: string): Cue | undefined {
  let assertedDefect = false;
  let negatedDefect = false;
  for (const match of sentence.matchAll(DEFECT_WORD)) {
    if (negated(sentence, match.index)) negatedDefect = true;
    else assertedDefect = true;
  }
  const verdict = DEFECTIVE_VERDICT.exec(sentence);
  if ((assertedDefect && REGION_WORD.test(sentence)) || (verdict && !negated(sentence, verdict.index))) return 'anomalous';
  const normal = NORMAL_VERDICT.exec(sentence);
  if (negatedDefect || (normal && !negated(sentence, normal.index))) return 'normal';
  return undefined;
}

/**
 * What a reasoning text concludes, by rule (no model): each sentence is a *defect* cue when it
 * names a defect (a defect word not under a negation) together with a region (top, left, corner,
 * …), or says the object is defective or that an anomaly is present; a *normal* cue when it
 * denies defects ("no scratches", "free of damage"), says the object is normal, intact or
 * flawless, or that every region matches the reference. Only one kind of cue → that verdict;
 * both → the last cue decides (the conclusion); none → undefined (not counted).
 *
 * @example
 * reasoningVerdict('A thin scratch runs across the upper left corner.'); // 'anomalous'
 * reasoningVerdict('Every region matches the reference. Decision: normal.'); // 'normal'
 * reasoningVerdict('The image shows a metal plate.'); // undefined
 */
export function reasoningVerdict(think: string): Cue | undefined {
  const cues = think
    .split(/(?<=[.!?;])\s+|\n+/)
    .map(sentenceCue)
    .filter((cue): cue is Cue => cue !== undefined);
  if (cues.length === 0) return undefined;
  if (cues.every((cue) => cue === cues[0])) return cues[0];
  return cues[cues.length - 1];
}

/**
 * Whether a response's `<think>` agrees with its answer by {@link reasoningVerdict}: true or false,
 * or undefined when there is no think, no answer, or no cue to decide by.
 *
 * @example
 * thinkAgreesWithAnswer('<think>Every region matches the reference.</think><answer>yes</answer>', 'yes'); // false
 */
export function thinkAgreesWithAnswer(response: string, answer: 'yes' | 'no' | null): boolean | undefined {
  const think = thinkText(response);
  if (think === undefined || answer === null) return undefined;
  const verdict = reasoningVerdict(think);
  if (verdict === undefined) return undefined;
  return (verdict === 'anomalous') === (answer === 'yes');
}

const objectPatterns = new Map<string, RegExp>();
function objectPattern(category: string): RegExp {
  let pattern = objectPatterns.get(category);
  if (!pattern) {
    const words = category.toLowerCase().replace(/[_-]+/g, ' ').trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    pattern = new RegExp(`\\b${words}(?:s|es)?\\b`, 'i');
    objectPatterns.set(category, pattern);
  }
  return pattern;
}

/**
 * Whether a reasoning is about another object: true when its think names another category of the
 * run (`wood` for a `screw` image) and not its own; false when it names its own;
 * undefined when it names none of them (or there is no think). Category names are read with `_`
 * and `-` as spaces, plural `s`/`es` allowed.
 *
 * @example
 * thinkNamesOtherObject('<think>A wood grain surface.</think><answer>no</answer>', 'screw', ['screw', 'wood']); // true
 */
export function thinkNamesOtherObject(response: string, category: string, categories: readonly string[]): boolean | undefined {
  const think = thinkText(response);
  if (think === undefined) return undefined;
  if (objectPattern(category).test(think)) return false;
  return categories.some((other) => other !== category && objectPattern(other).test(think)) ? true : undefined;
}

/** The category names a set of answers covers, every dataset's: the objects a think may name. */
export function categoryNames(answers: ReadonlyArray<{ category: string }>): string[] {
  return [...new Set(answers.map((a) => a.category))];
}

/**
 * The question a consistency judge is asked, with `{think}` and `{answer}` filled in. Fixed and
 * exported so judged numbers can be reproduced (and the question quoted in a paper).
 */
export const CONSISTENCY_JUDGE_QUESTION =
  'A model inspected an industrial image for defects. It wrote the reasoning below and then gave a final answer to "Is there a defect?".\n\nReasoning:\n{think}\n\nFinal answer: {answer}\n\nDoes the reasoning support the final answer? Reply with Yes or No only.';

/**
 * Asks a judge model whether a response's reasoning supports its answer (text only, greedy):
 * 'yes', 'no', or null when its reply has neither; undefined when the response has no think or
 * no answer to judge.
 *
 * @example
 * await askConsistencyJudge(judge, record.response, record.answer); // 'no'
 */
export async function askConsistencyJudge(judge: VisionLanguageModel, response: string, answer: 'yes' | 'no' | null, signal?: AbortSignal): Promise<'yes' | 'no' | null | undefined> {
  const think = thinkText(response);
  if (think === undefined || answer === null) return undefined;
  const question = CONSISTENCY_JUDGE_QUESTION.replace('{think}', think.trim()).replace('{answer}', answer === 'yes' ? 'Yes' : 'No');
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: question }] }];
  const [result] = await judge.generate([messages], { maxNewTokens: 16, temperature: 0, ...(signal ? { signal } : {}) });
  return extractAnswer(result?.completions[0]?.text ?? '', 'free') ?? null;
}

/** Reasoning–answer consistency of a set of answers; rates are percentages of their own counts. */
export interface ConsistencyMetrics {
  /** Answers in the tagged format (an `<answer>` tag) with a readable yes/no. */
  tagged: number;
  /** Of those, answers whose structure fits their own answer. */
  structureFits: number;
  structureRate: number;
  /** Answers whose think the rule could decide. */
  thinkChecked: number;
  thinkAgrees: number;
  /** Share of `thinkChecked` whose think agrees with the answer. */
  thinkAgreement: number;
  /** Answers whose think names their own category or another one of the dataset. */
  objectChecked: number;
  /** Of those, thinks about another object (another category named, their own not). */
  otherObject: number;
  otherObjectRate: number;
  /** Answers a judge gave a readable verdict on. */
  judged: number;
  judgeAgrees: number;
  judgeAgreement: number;
}

/**
 * Reasoning–answer consistency: structure against the model's own answer, the rule-based think
 * check, whether the think is about another object (`categories`: the category names of the
 * run, every dataset's), and the judge's verdicts where a judge was asked. Each check counts only what it could decide.
 *
 * @example
 * consistencyMetrics(answers, ['screw', 'wood']).structureRate; // e.g. 97.5
 */
export function consistencyMetrics(answers: readonly Pick<AnswerRecord, 'response' | 'answer' | 'judge' | 'category'>[], categories: readonly string[] = []): ConsistencyMetrics {
  let tagged = 0;
  let structureFits = 0;
  let thinkChecked = 0;
  let thinkAgrees = 0;
  let objectChecked = 0;
  let otherObject = 0;
  let judged = 0;
  let judgeAgrees = 0;
  for (const { response, answer, judge, category } of answers) {
    if (answer === null || !response.includes('<answer>')) continue;
    tagged++;
    if (structureFitsAnswer(response, answer)) structureFits++;
    const agrees = thinkAgreesWithAnswer(response, answer);
    if (agrees !== undefined) {
      thinkChecked++;
      if (agrees) thinkAgrees++;
    }
    const other = thinkNamesOtherObject(response, category, categories);
    if (other !== undefined) {
      objectChecked++;
      if (other) otherObject++;
    }
    if (judge !== undefined && judge !== null) {
      judged++;
      if (judge === 'yes') judgeAgrees++;
    }
  }
  return {
    tagged,
    structureFits,
    structureRate: percentOf(structureFits, tagged),
    thinkChecked,
    thinkAgrees,
    thinkAgreement: percentOf(thinkAgrees, thinkChecked),
    objectChecked,
    otherObject,
    otherObjectRate: percentOf(otherObject, objectChecked),
    judged,
    judgeAgrees,
    judgeAgreement: percentOf(judgeAgrees, judged),
  };
}
