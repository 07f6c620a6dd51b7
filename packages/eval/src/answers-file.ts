import { JsonlAppender, JsonlFileError, readJsonlFile } from '@iad-r1/datasets';
import { type AnswerRecord, answerRecordSchema } from './answer-record';

/** Thrown when `answers.jsonl` holds a line that is not an answer record (other than a cut-off last line). */
export const AnswersFileError = JsonlFileError;

/**
 * Reads the answers written so far. A last line cut off by a crash (no trailing newline, not valid
 * JSON) is removed from the file so appending can go on; any other bad line is an error naming it.
 * A repeated key keeps its first answer.
 */
export async function readAnswers(file: string, log?: (line: string) => void): Promise<AnswerRecord[]> {
  const seen = new Set<string>();
  return (await readJsonlFile(file, answerRecordSchema, log)).filter((answer) => !seen.has(answer.key) && Boolean(seen.add(answer.key)));
}

/** Appends answers one line each, in call order, so a crash loses at most the line being written. */
export class AnswersWriter extends JsonlAppender {
  /** Waits for the lines appended so far. */
  flush(): Promise<void> {
    return this.close();
  }
}
