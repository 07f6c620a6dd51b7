import type { z } from 'zod';
import { type RecordIssue, RecordValidationError } from './record-validation-error';

/** Options of {@link parseRecords}. */
export interface ParseRecordsOptions {
  /** `jsonl`: one JSON value per non-blank line; `json`: one array. Default: guessed from `file`'s extension, else from the text. */
  format?: 'json' | 'jsonl';
  /** Name used in error messages (a path, usually). */
  file?: string;
  /** How many issues to list in the error; default 20. Every record is still checked. */
  maxErrors?: number;
}

/**
 * Parses and validates every record of a JSON array or JSONL text. Pure: read the file yourself
 * and pass its text, so this works in browsers and workers alike.
 * Throws a {@link RecordValidationError} naming file, record index, line and field path.
 *
 * @example
 * const records = parseRecords(await readFile('sc-grpo.jsonl', 'utf8'), scGrpoRecordSchema, { file: 'sc-grpo.jsonl' });
 */
export function parseRecords<S extends z.ZodType>(input: string, schema: S, options: ParseRecordsOptions = {}): Array<z.output<S>> {
  // A byte-order mark (text read with readFile(…, 'utf8') keeps it) is not part of the first record.
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const file = options.file ?? '<input>';
  const maxErrors = options.maxErrors ?? 20;
  const format = options.format ?? guessFormat(file, text);
  const issues: RecordIssue[] = [];
  let invalid = 0;
  const report = (issue: RecordIssue): void => {
    if (issues.length < maxErrors) issues.push(issue);
  };

  const records: Array<z.output<S>> = [];
  const validate = (value: unknown, index: number, line: number | undefined): void => {
    const result = schema.safeParse(value);
    if (result.success) {
      records.push(result.data);
      return;
    }
    invalid++;
    for (const issue of result.error.issues) {
      report({ index, ...(line !== undefined ? { line } : {}), path: issue.path.map(String).join('.'), message: issue.message });
    }
  };

  if (format === 'jsonl') {
    let index = 0;
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        invalid++;
        report({ index: index++, line: i + 1, path: '', message: `malformed JSON: ${(error as Error).message}` });
        return;
      }
      validate(value, index++, i + 1);
    });
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new RecordValidationError(file, [{ index: 0, path: '', message: `malformed JSON: ${(error as Error).message}` }], 1);
    }
    if (!Array.isArray(parsed)) {
      throw new RecordValidationError(file, [{ index: 0, path: '', message: 'expected a JSON array of records' }], 1);
    }
    parsed.forEach((value, index) => validate(value, index, undefined));
  }

  if (invalid > 0) throw new RecordValidationError(file, issues, invalid);
  return records;
}

/**
 * Writes records as JSONL (one compact JSON value per line, trailing newline).
 *
 * @example
 * toJsonl([{ a: 1 }, { a: 2 }]); // '{"a":1}\n{"a":2}\n'
 */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

function guessFormat(file: string, text: string): 'json' | 'jsonl' {
  if (/\.jsonl$/i.test(file)) return 'jsonl';
  if (/\.json$/i.test(file)) return 'json';
  return text.trimStart().startsWith('[') ? 'json' : 'jsonl';
}
