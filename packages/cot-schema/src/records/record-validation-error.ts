import { IadR1Error } from '@iad-r1/errors';
/** One problem found in one record of a file. */
export interface RecordIssue {
  /** 0-based index of the record in the file. */
  index: number;
  /** 1-based line number (JSONL, or where a JSON record starts when known). */
  line?: number;
  /** Dotted path of the bad field inside the record, e.g. `messages.1.content`; empty for the record itself. */
  path: string;
  message: string;
}

/**
 * Thrown when records read from a file fail validation. Lists up to `maxErrors` issues, each with
 * the record index, line and field path, and how many records were bad in total.
 */
export class RecordValidationError extends IadR1Error {
  override readonly name = 'RecordValidationError';
  readonly file: string;
  readonly issues: RecordIssue[];
  readonly invalidCount: number;

  constructor(file: string, issues: RecordIssue[], invalidCount: number) {
    const shown = issues
      .map((i) => `  record ${i.index}${i.line !== undefined ? ` (line ${i.line})` : ''}${i.path ? `, field ${i.path}` : ''}: ${i.message}`)
      .join('\n');
    const more = invalidCount > issues.length ? `\n  … and more (${invalidCount} invalid records in all)` : '';
    super(`${file}: ${invalidCount} invalid record(s)\n${shown}${more}`);
    this.file = file;
    this.issues = issues;
    this.invalidCount = invalidCount;
  }
}
