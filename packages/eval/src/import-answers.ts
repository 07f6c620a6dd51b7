import { join } from 'node:path';
import { DatasetError, readTextFile, writeFileAtomic } from '@iad-r1/datasets';
import { z } from 'zod';
import type { AnswerRecord } from './answer-record';
import { extractAnswer } from './answer-extraction';
import type { AnswerOption } from './answer-scoring';
import { YES_NO_OPTIONS } from './answer-scoring';

/** One entry of the authors' (and MMAD's) answers JSON. */
export const publishedAnswerSchema = z.object({
  image: z.string().min(1),
  question: z.union([z.string(), z.object({ text: z.string().optional(), options: z.record(z.string(), z.string()).optional() }).passthrough()]),
  question_type: z.string(),
  correct_answer: z.string(),
  gpt_answer: z.string(),
});
export type PublishedAnswer = z.infer<typeof publishedAnswerSchema>;

/** What an import read: the answers, and the entries it left out (other question types). */
export interface ImportedAnswers {
  answers: AnswerRecord[];
  /** Entries that are not "Anomaly Detection" questions (MMAD's other question types). */
  otherQuestions: number;
}

function optionMeaning(text: string): 'yes' | 'no' | undefined {
  const word = /^\s*(yes|no)\b/i.exec(text)?.[1]?.toLowerCase();
  return word === 'yes' || word === 'no' ? word : undefined;
}

function optionsOf(entry: PublishedAnswer, where: string): AnswerOption[] {
  if (typeof entry.question === 'string' || !entry.question.options) return [...YES_NO_OPTIONS];
  return Object.entries(entry.question.options).map(([letter, text]) => {
    const answer = optionMeaning(text);
    if (!answer) throw new DatasetError(where, `question.options.${letter} is ${JSON.stringify(text)}, which is neither Yes nor No; an "Anomaly Detection" question must offer Yes and No`);
    return { letter, text, answer };
  });
}

/**
 * Reads the answers JSON the authors' and MMAD's evaluation scripts write — a list of
 * `{image, question, question_type, correct_answer, gpt_answer}` — as answer records, so published
 * outputs can be scored with this package's metrics. Only "Anomaly Detection" entries are kept.
 * The dataset is the image path's first segment and the category its second, as MMAD's scorer
 * groups them; the label is the meaning of `correct_answer`'s option (Yes = anomalous). The
 * record's `answer` is `gpt_answer` read as an option letter, else as a response (`<answer>` tag
 * when it has one, else free text); `E` and other non-options are unreadable.
 *
 * @example
 * const { answers } = await importPublishedAnswers('answers_0_shot_Qwen2.5-VL_vllm.json');
 * summarise(answers, { parsing: 'authors', unparsed: 'drop' }).average.balancedAccuracy;
 */
export async function importPublishedAnswers(file: string): Promise<ImportedAnswers> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readTextFile(file));
  } catch (error) {
    if (error instanceof SyntaxError) throw new DatasetError(file, `not valid JSON: ${error.message}`);
    throw error;
  }
  if (!Array.isArray(raw)) throw new DatasetError(file, 'expected a JSON list of {image, question, question_type, correct_answer, gpt_answer}');
  const answers: AnswerRecord[] = [];
  const seen = new Set<string>();
  let otherQuestions = 0;
  raw.forEach((item, index) => {
    const where = `${file} [${index}]`;
    const parsed = publishedAnswerSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DatasetError(where, `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}`);
    }
    const entry = parsed.data;
    if (entry.question_type !== 'Anomaly Detection') {
      otherQuestions++;
      return;
    }
    const options = optionsOf(entry, where);
    const truth = options.find((o) => o.letter === entry.correct_answer.trim());
    if (!truth) throw new DatasetError(where, `correct_answer ${JSON.stringify(entry.correct_answer)} is not one of the options ${options.map((o) => o.letter).join(', ')}`);
    if (seen.has(entry.image)) throw new DatasetError(where, `image ${JSON.stringify(entry.image)} is answered twice`);
    seen.add(entry.image);
    const segments = entry.image.split('/');
    const letter = options.find((o) => o.letter === entry.gpt_answer.trim());
    const answer = letter ? letter.answer : /^[A-Z]$/.test(entry.gpt_answer.trim()) ? undefined : extractAnswer(entry.gpt_answer, entry.gpt_answer.includes('<answer>') ? 'tagged' : 'free');
    const label = truth.answer === 'yes' ? 'anomalous' : 'normal';
    answers.push({
      key: entry.image,
      dataset: segments[0] ?? entry.image,
      category: segments[1] ?? '',
      image: entry.image,
      label,
      references: [],
      response: entry.gpt_answer,
      answer: answer ?? null,
      correct: answer !== undefined && (answer === 'yes') === (label === 'anomalous'),
      options,
    });
  });
  return { answers, otherQuestions };
}

/**
 * Writes imported answers as a run folder's `answers.jsonl` (and a `run.json` saying where they
 * came from), so `score` and `compare` read them like any run.
 *
 * @example
 * await writeImportedRun('runs/authors-qwen', imported, { source: 'answers.json', model: 'IAD-R1 Qwen2.5-VL-3B', shots: 0 });
 */
export async function writeImportedRun(out: string, imported: ImportedAnswers, run: { source: string; model: string; shots: number }): Promise<void> {
  await writeFileAtomic(join(out, 'answers.jsonl'), imported.answers.map((a) => `${JSON.stringify(a)}\n`).join(''));
  await writeFileAtomic(join(out, 'run.json'), `${JSON.stringify({ model: run.model, shots: run.shots, prompt: 'imported', imported: run.source, otherQuestions: imported.otherQuestions }, null, 2)}\n`);
}
