import { type FileHandle, mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { IadR1Error } from '@iad-r1/errors';
import { decodeUtf8 } from '@iad-r1/cot-schema';

/** A line of a step's JSONL file that is not a valid record (other than a cut-off last line). */
export class JsonlFileError extends IadR1Error {
  override readonly name = 'JsonlFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/**
 * Reads a step's JSONL output written so far, validating each line. A missing file is empty. A
 * last line cut off by a crash (not valid JSON) is removed from the file, so appending can go on
 * and the step redoes that one item; any other bad line is an error naming file, line and field.
 */
export async function readJsonlFile<S extends z.ZodType>(file: string, schema: S, log?: (line: string) => void): Promise<Array<z.output<S>>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const text = decodeUtf8(bytes, file);
  // decodeUtf8 drops a byte-order mark; byte offsets into the file must count it.
  const bomBytes = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const lines = text.split('\n');
  const records: Array<z.output<S>> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) {
        await truncate(file, bomBytes + Buffer.byteLength(lines.slice(0, i).join('\n')) + (i > 0 ? 1 : 0));
        log?.(`${file}:${i + 1}: dropped a line cut off by an interrupted run; that item will be redone`);
        break;
      }
      throw new JsonlFileError(file, i + 1, 'not valid JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new JsonlFileError(file, i + 1, `field ${issue?.path.join('.') || '(record)'}: ${issue?.message}`);
    }
    records.push(parsed.data);
  }
  return records;
}

/**
 * Appends records one line each, in call order. With `durable`, each line is flushed to disk
 * (fdatasync) before `append` resolves, so an acknowledged write survives a crash.
 */
export class JsonlAppender {
  private queue: Promise<void> = Promise.resolve();
  private handle: Promise<FileHandle> | undefined;

  constructor(
    private readonly file: string,
    private readonly options: { durable?: boolean } = {},
  ) {}

  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.queue = this.queue.then(async () => {
      this.handle ??= this.openForAppend();
      const handle = await this.handle;
      await handle.write(line);
      if (this.options.durable) await handle.datasync();
    });
    return this.queue;
  }

  // A file that ends without its newline (a write cut short after a complete record: disk full,
  // power loss) gets one first, so the next record starts a line of its own.
  private async openForAppend(): Promise<FileHandle> {
    await mkdir(dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a+');
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    return handle;
  }

  /** Waits for pending lines and closes the file. */
  async close(): Promise<void> {
    await this.queue;
    if (this.handle) await (await this.handle).close();
    this.handle = undefined;
  }
}
