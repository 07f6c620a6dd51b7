import { OutputParseError } from './output-parse-error';

/** The eight structural tags of the IAD-R1 output. */
export const OUTPUT_TAGS = ['think', 'location', 'type', 'answer'] as const;
/** A structural tag name. */
export type OutputTag = (typeof OUTPUT_TAGS)[number];

/** A parsed answer in the normal pattern `<think>…</think><answer>no</answer>`. */
export interface NormalOutput {
  pattern: 'normal';
  think: string;
  answer: 'no';
}

/** A parsed answer in the anomalous pattern `<think>…</think><location>…</location><type>…</type><answer>yes</answer>`. */
export interface AnomalousOutput {
  pattern: 'anomalous';
  think: string;
  location: string;
  type: string;
  answer: 'yes';
}

/** A model answer that follows one of the two patterns. */
export type ModelOutput = NormalOutput | AnomalousOutput;

/** The parts of a well-formed answer, or the precise reason it is not. */
export type ParseOutputResult = ({ ok: true } & ModelOutput) | { ok: false; reason: string };

/** Options of {@link parseOutput}. */
export interface ParseOutputOptions {
  /**
   * Accept whitespace between a closing tag and the next opening tag. docs/METHOD.md §1 requires them
   * to be adjacent, so the default is false.
   */
  allowWhitespaceBetweenTags?: boolean;
}

const STRUCTURAL_TAGS = OUTPUT_TAGS.flatMap((tag) => [`<${tag}>`, `</${tag}>`]);

/**
 * Parses a model answer into its parts, or says precisely why it does not follow either pattern.
 * Text before `<think>` and after `</answer>` is allowed (as in the reference regexes); tags must
 * come in order, each closing tag directly followed by the next opening tag; the answer is `yes`
 * or `no` (case-insensitive, trimmed) and must agree with the pattern; a normal answer contains no
 * `<location>` or `<type>` tag anywhere; no content holds a structural tag.
 *
 * @example
 * parseOutput('<think>Clean surface.</think><answer>No</answer>');
 * // { ok: true, pattern: 'normal', think: 'Clean surface.', answer: 'no' }
 * parseOutput('<think>…</think><answer>yes</answer>');
 * // { ok: false, reason: "answer 'yes' needs <location> and <type> before <answer>" }
 */
export function parseOutput(text: string, options: ParseOutputOptions = {}): ParseOutputResult {
  const gap = options.allowWhitespaceBetweenTags ? /^\s*/ : /^/;
  const fail = (reason: string): ParseOutputResult => ({ ok: false, reason });

  const thinkOpen = text.indexOf('<think>');
  if (thinkOpen < 0) return fail('missing <think>');
  const stray = firstStructuralTag(text.slice(0, thinkOpen));
  if (stray) return fail(`${stray} before <think>`);

  let cursor = thinkOpen + '<think>'.length;
  const thinkClose = text.indexOf('</think>', cursor);
  if (thinkClose < 0) return fail('missing </think>');
  const think = text.slice(cursor, thinkClose);
  const nestedInThink = firstStructuralTag(think);
  if (nestedInThink) return fail(`${nestedInThink} inside <think>`);
  cursor = thinkClose + '</think>'.length;

  const skipGap = (): void => {
    cursor += (gap.exec(text.slice(cursor)) as RegExpExecArray)[0].length;
  };
  // Reads `<tag>content</tag>` starting exactly at the cursor.
  const readTag = (tag: OutputTag, after: string): string | { error: string } => {
    skipGap();
    const open = `<${tag}>`;
    const close = `</${tag}>`;
    if (!text.startsWith(open, cursor)) {
      return { error: `expected ${open} directly after ${after}, found ${describeAt(text, cursor)}` };
    }
    const start = cursor + open.length;
    const end = text.indexOf(close, start);
    if (end < 0) return { error: `missing ${close}` };
    const content = text.slice(start, end);
    const nested = firstStructuralTag(content);
    if (nested) return { error: `${nested} inside <${tag}>` };
    cursor = end + close.length;
    return content;
  };

  skipGap();
  if (text.startsWith('<location>', cursor)) {
    const location = readTag('location', '</think>');
    if (typeof location !== 'string') return fail(location.error);
    const type = readTag('type', '</location>');
    if (typeof type !== 'string') return fail(type.error);
    const rawAnswer = readTag('answer', '</type>');
    if (typeof rawAnswer !== 'string') return fail(rawAnswer.error);
    const answer = normaliseAnswer(rawAnswer);
    if (answer === undefined) return fail(`answer must be yes or no, got ${JSON.stringify(rawAnswer.trim())}`);
    if (answer === 'no') return fail("answer 'no' with <location> and <type>: a normal answer carries neither");
    return { ok: true, pattern: 'anomalous', think, location, type, answer };
  }

  if (!text.startsWith('<answer>', cursor)) {
    return fail(`expected <answer> or <location> directly after </think>, found ${describeAt(text, cursor)}`);
  }
  const rawAnswer = readTag('answer', '</think>');
  if (typeof rawAnswer !== 'string') return fail(rawAnswer.error);
  const answer = normaliseAnswer(rawAnswer);
  if (answer === undefined) return fail(`answer must be yes or no, got ${JSON.stringify(rawAnswer.trim())}`);
  if (answer === 'yes') return fail("answer 'yes' needs <location> and <type> before <answer>");
  if (text.includes('<location>')) return fail('location tag in a normal answer');
  if (text.includes('<type>')) return fail('type tag in a normal answer');
  return { ok: true, pattern: 'normal', think, answer };
}

/**
 * Like {@link parseOutput} but returns the parts or throws an {@link OutputParseError}.
 *
 * @example
 * parseOutputOrThrow('<think>ok</think><answer>no</answer>').pattern; // 'normal'
 */
export function parseOutputOrThrow(text: string, options: ParseOutputOptions = {}): ModelOutput {
  const result = parseOutput(text, options);
  if (!result.ok) throw new OutputParseError(result.reason, text);
  const { ok: _ok, ...output } = result;
  return output;
}

/** Options of {@link formatOutput}. */
export interface FormatOutputOptions {
  /** How the answer word is written: `Yes`/`No` (default, as in Expert-AD) or `yes`/`no`. */
  answerCase?: 'capitalized' | 'lower';
}

/**
 * Writes the canonical string of an output; `parseOutput` reads it back to the same parts.
 * Throws when a part holds a structural tag, since the result could not be parsed back.
 *
 * @example
 * formatOutput({ pattern: 'anomalous', think: 'A scratch.', location: 'top left', type: 'scratch', answer: 'yes' });
 * // '<think>A scratch.</think><location>top left</location><type>scratch</type><answer>Yes</answer>'
 */
export function formatOutput(output: ModelOutput, options: FormatOutputOptions = {}): string {
  const parts: Array<[OutputTag, string]> = [['think', output.think]];
  if (output.pattern === 'anomalous') parts.push(['location', output.location], ['type', output.type]);
  for (const [tag, content] of parts) {
    const nested = firstStructuralTag(content);
    if (nested) throw new OutputParseError(`${nested} inside <${tag}>`, content);
  }
  const word = output.pattern === 'anomalous' ? 'yes' : 'no';
  const answer = options.answerCase === 'lower' ? word : word[0]?.toUpperCase() + word.slice(1);
  return `${parts.map(([tag, content]) => `<${tag}>${content}</${tag}>`).join('')}<answer>${answer}</answer>`;
}

function normaliseAnswer(raw: string): 'yes' | 'no' | undefined {
  const word = raw.trim().toLowerCase();
  return word === 'yes' || word === 'no' ? word : undefined;
}

function firstStructuralTag(text: string): string | undefined {
  let best: { tag: string; index: number } | undefined;
  for (const tag of STRUCTURAL_TAGS) {
    const index = text.indexOf(tag);
    if (index >= 0 && (!best || index < best.index)) best = { tag, index };
  }
  return best?.tag;
}

function describeAt(text: string, index: number): string {
  if (index >= text.length) return 'end of text';
  const snippet = text.slice(index, index + 20);
  return JSON.stringify(snippet + (index + 20 < text.length ? '…' : ''));
}
