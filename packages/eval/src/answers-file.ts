import { appendFile, readFile, truncate } from 'node:fs/promises';
import { type AnswerRecord, answerRecordSchema } from './answer-record';

/** Thrown when `answers.jsonl` holds a line that is not an answer record (other than a cut-off last line). */
export class AnswersFileError extends Error {
  override readonly name = 'AnswersFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/**
 * Reads the answers written so far. A last line cut off by a crash (no trailing newline, not valid
 * JSON) is removed from the file so appending can go on; any other bad line is an error naming it.
 * A repeated key keeps its first answer.
 */
export async function readAnswers(file: string, log?: (line: string) => void): Promise<AnswerRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  const answers: AnswerRecord[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (last) {
        const keep = Buffer.byteLength(lines.slice(0, i).join('\n')) + (i > 0 ? 1 : 0);
        await truncate(file, keep);
        log?.(`${file}:${i + 1}: dropped a line cut off by an interrupted run; that image will be asked again`);
        break;
      }
      throw new AnswersFileError(file, i + 1, 'not valid JSON');
    }
    const parsed = answerRecordSchema.safeParse(value);
    if (!parsed.success) {
      throw new AnswersFileError(file, i + 1, `field ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    }
    if (seen.has(parsed.data.key)) continue;
    seen.add(parsed.data.key);
    answers.push(parsed.data);
  }
  return answers;
}

/** Appends answers one line each, in call order, so a crash loses at most the line being written. */
export class AnswersWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  append(answer: AnswerRecord): Promise<void> {
    this.queue = this.queue.then(() => appendFile(this.file, `${JSON.stringify(answer)}\n`));
    return this.queue;
  }

  flush(): Promise<void> {
    return this.queue;
  }
}
