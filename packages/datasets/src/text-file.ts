import { readFile } from 'node:fs/promises';
import { decodeUtf8 } from '@iad-r1/cot-schema';
import { DatasetError } from './dataset-error';

/**
 * A text file's content: UTF-8 required (a byte-order mark is dropped), so a file saved in another
 * encoding is refused naming its line instead of read with replacement characters.
 *
 * @example
 * const text = await readTextFile('data/expert-ad.jsonl');
 */
export async function readTextFile(path: string): Promise<string> {
  return decodeUtf8(await readFile(path), path);
}

/**
 * The settings a resumable step saved (`run.json`, `prepare.json`): undefined when the file does
 * not exist; a {@link DatasetError} naming it when it is empty, not JSON, or not an object (a
 * crash while it was written, or a hand edit), rather than a bare SyntaxError.
 *
 * @example
 * const previous = await readSettingsFile('runs/qwen/run.json');
 */
export async function readSettingsFile(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.trim() === '') throw new DatasetError(path, 'the settings file is empty (an interrupted write?); delete it and the folder\'s results to start afresh, or restore it');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(path, `the settings file is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DatasetError(path, 'the settings file does not hold a JSON object');
  return value as Record<string, unknown>;
}
